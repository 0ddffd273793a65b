from __future__ import annotations

from analytics.method.network_files import read_adjacency_matrix, read_edge_list, read_network


def test_matrix_with_byte_order_mark_is_symmetrised_with_max(tmp_path):
    path = tmp_path / "m.csv"
    path.write_bytes('\ufeff"",a,b,c\na,0,2,0\nb,5,0,1\nc,0,0,0\n'.encode())
    nodes, edges = read_adjacency_matrix(path)
    assert nodes == ["a", "b", "c"]
    assert edges == {("a", "b"): 5.0, ("b", "c"): 1.0}


def test_edge_list_adds_repeated_rows_in_either_direction(tmp_path):
    path = tmp_path / "e.txt"
    path.write_text("1 2 3\n2 1 4\n2 3 1\n\n3 3 9\n")
    nodes, edges = read_edge_list(path)
    assert nodes == ["1", "2", "3"]
    assert edges == {("1", "2"): 7.0, ("2", "3"): 1.0}
    assert read_network(path) == (nodes, edges)


def test_the_real_networks_have_the_documented_sizes(real_networks):
    sizes = {name: (len(nodes), len(edges)) for name, (nodes, edges) in real_networks.items()}
    assert sizes == {
        "morselli_caviar.csv": (110, 205),
        "morselli_siren.csv": (44, 103),
        "LONDON_GANG.csv": (54, 315),
        "ITALIAN_GANGS.csv": (67, 114),
        "MONTREALGANG.csv": (35, 78),
        "macdonald_tfc.csv": (112, 361),
        "Montagna_meetings_edgelist.csv": (101, 256),
        "Montagna_phonecalls_edgelist.csv": (100, 124),
    }
