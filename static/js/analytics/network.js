// The analyst's network view: draws the JSON the page carries (json_script) with sigma.js on
// graphology. Positions were computed on the server when the run was stored, so the browser
// runs no layout. Hover shows a summary, selecting a node offers its page (and, for a person,
// their neighbours); the form filters and sizes what is drawn. The drawing also works from the
// keyboard (see `keys` below). Once drawn, the container carries data-node-count and
// data-edge-count (the tests and the benchmark read them).
(function () {
  "use strict";

  // Colour-blind-safe palette for groups (Okabe-Ito without the two marker colours).
  var PALETTE = ["#0072b2", "#009e73", "#56b4e9", "#7f6000", "#004d40", "#5e35b1", "#37474f", "#2e7d32"];
  var CHILD = "#c2185b";
  var VULNERABLE = "#e65100";
  var TOP = "#000000";
  var FADED = "#d0d4d9";

  function groupColour(group) {
    return PALETTE[(group - 1) % PALETTE.length];
  }

  function scale(value, max, low, high) {
    if (!max) return low;
    return low + (high - low) * Math.sqrt(Math.max(0, value) / max);
  }

  function describe(level, attrs) {
    if (level === "groups") {
      return attrs.label + ": " + attrs.size + " members, priority " + attrs.priority + ", CCHI harm " +
        attrs.harm_cchi + " days, ONS harm " + attrs.harm_ons + ", " + attrs.children + " child(ren)" +
        (attrs.soc ? ", SOC group " + attrs.soc : "");
    }
    var marks = { child: " (a child to safeguard)", vulnerable_adult: " (a vulnerable adult)", age_unknown: " (age unknown)" };
    return attrs.label + " " + attrs.key + (marks[attrs.kind] || "") + ": group " + attrs.group + ", W " + attrs.score +
      ", CCHI harm " + attrs.harm_cchi + " days, betweenness " + attrs.betweenness +
      (attrs.rank ? ", dismantling rank " + attrs.rank : "") + (attrs.soc ? ", SOC group " + attrs.soc : "");
  }

  function start(container) {
    var data = JSON.parse(document.getElementById(container.dataset.network).textContent);
    var level = data.level;
    var section = container.closest(".network");
    var form = section.querySelector("[data-network-controls]");
    var status = section.querySelector("[data-network-status]");
    var selection = section.querySelector("[data-network-selection]");
    var summary = section.querySelector("[data-network-summary]");
    var open = section.querySelector("[data-network-open]");
    var expand = section.querySelector("[data-network-expand]");

    if (typeof Sigma === "undefined" || typeof graphology === "undefined") {
      status.textContent = "The network drawing could not load; the table below lists the same.";
      return;
    }
    var graph = new graphology.Graph({ type: "undirected", multi: false });
    data.nodes.forEach(function (node) { addNode(graph, node); });
    data.edges.forEach(function (edge) { addEdge(graph, edge); });

    var state = { size: form.elements.size.value, harm: 0, children: false, soc: false, group: null, top: 0, without: false };
    var maxima = {};
    var selected = null;

    function addNode(g, node) {
      if (g.hasNode(node.key)) return;
      var attrs = Object.assign({}, node);
      // A group's "size" is its members; the drawn size is worked out from the chosen measure.
      attrs.memberCount = level === "groups" ? node.size : 0;
      attrs.color = level === "groups" ? (node.children ? CHILD : groupColour(node.group)) :
        node.kind === "child" ? CHILD : node.kind === "vulnerable_adult" ? VULNERABLE : groupColour(node.group);
      attrs.size = 4;
      g.addNode(node.key, attrs);
    }

    function addEdge(g, edge) {
      if (!g.hasNode(edge.source) || !g.hasNode(edge.target) || g.hasEdge(edge.source, edge.target)) return;
      g.addEdge(edge.source, edge.target, { weight: edge.weight, size: 1, color: "#9aa5b1" });
    }

    function measure() {
      maxima = {};
      graph.forEachNode(function (key, attrs) {
        maxima.size = Math.max(maxima.size || 0, attrs.memberCount || 0);
        ["harm_cchi", "betweenness", "strength"].forEach(function (name) {
          maxima[name] = Math.max(maxima[name] || 0, attrs[name] || 0);
        });
      });
      var maxWeight = 0;
      graph.forEachEdge(function (key, attrs) { maxWeight = Math.max(maxWeight, attrs.weight || 0); });
      graph.forEachEdge(function (key, attrs) {
        graph.setEdgeAttribute(key, "size", 0.5 + 3 * Math.sqrt((attrs.weight || 0) / (maxWeight || 1)));
      });
    }

    function resize() {
      var field = state.size === "size" ? "memberCount" : state.size;
      var max = state.size === "size" ? maxima.size : maxima[state.size];
      graph.forEachNode(function (key, attrs) {
        var size = scale(attrs[field] || 0, max, level === "groups" ? 4 : 3, level === "groups" ? 22 : 14);
        // A child or vulnerable adult is never drawn too small to see or to select.
        if (attrs.kind === "child" || attrs.kind === "vulnerable_adult") size = Math.max(size, 7);
        graph.setNodeAttribute(key, "size", size);
      });
    }

    function isTop(attrs) {
      return state.top > 0 && attrs.rank && attrs.rank <= state.top;
    }

    function visible(attrs) {
      if ((attrs.harm_cchi || 0) < state.harm) return false;
      if (state.soc && !attrs.soc) return false;
      if (state.children && (level === "groups" ? !attrs.children : !(attrs.kind === "child" || attrs.kind === "vulnerable_adult"))) return false;
      if (state.group && level === "groups" && attrs.group !== state.group) return false;
      if (state.without && isTop(attrs)) return false;
      return true;
    }

    measure();
    resize();
    var renderer;
    try {
      renderer = new Sigma(graph, container, {
        labelRenderedSizeThreshold: level === "groups" ? 6 : 10,
        defaultEdgeColor: "#9aa5b1",
        zIndex: true,
        nodeReducer: function (key, attrs) {
          var out = Object.assign({}, attrs);
          if (!visible(attrs)) {
            out.hidden = true;
            return out;
          }
          if (isTop(attrs)) {
            out.color = TOP;
            out.zIndex = 2;
            out.forceLabel = true;
          }
          if (selected && key !== selected && !graph.areNeighbors(key, selected)) {
            out.color = FADED;
            out.label = "";
          }
          if (key === selected) out.highlighted = true;
          return out;
        },
        edgeReducer: function (key, attrs) {
          var ends = graph.extremities(key);
          var out = Object.assign({}, attrs);
          if (!visible(graph.getNodeAttributes(ends[0])) || !visible(graph.getNodeAttributes(ends[1]))) out.hidden = true;
          else if (selected && ends[0] !== selected && ends[1] !== selected) out.color = "#eceff1";
          return out;
        },
      });
    } catch (error) {
      status.textContent = "This browser cannot draw the network (WebGL is unavailable); the table below lists the same.";
      return;
    }
    container.sigma = renderer; // for the browser tests, which click on a drawn node

    function counts() {
      var nodes = 0, edges = 0;
      graph.forEachNode(function (key, attrs) { if (visible(attrs)) nodes += 1; });
      graph.forEachEdge(function (key, attrs, source, target, sourceAttrs, targetAttrs) {
        if (visible(sourceAttrs) && visible(targetAttrs)) edges += 1;
      });
      return { nodes: nodes, edges: edges };
    }

    function largestPiece() {
      // The largest connected piece of what is drawn: "what the network looks like without them".
      var seen = {}, best = 0;
      graph.forEachNode(function (key, attrs) {
        if (seen[key] || !visible(attrs)) return;
        var stack = [key], size = 0;
        seen[key] = true;
        while (stack.length) {
          var node = stack.pop();
          size += 1;
          graph.forEachNeighbor(node, function (other, otherAttrs) {
            if (!seen[other] && visible(otherAttrs)) { seen[other] = true; stack.push(other); }
          });
        }
        best = Math.max(best, size);
      });
      return best;
    }

    function report() {
      var shown = counts();
      container.dataset.nodeCount = String(shown.nodes);
      container.dataset.edgeCount = String(shown.edges);
      var text = shown.nodes + (level === "groups" ? " groups" : " people") + " and " + shown.edges + " links drawn";
      if (level === "members" && state.top > 0) {
        text += "; largest connected piece " + (state.without ? "without" : "with") + " the first " + state.top + ": " + largestPiece();
      }
      status.textContent = text + ".";
    }

    function select(key) {
      selected = key;
      if (!key) {
        selection.hidden = true;
      } else {
        var attrs = graph.getNodeAttributes(key);
        summary.textContent = describe(level, attrs);
        if (level === "groups") {
          open.href = container.dataset.groupUrl.replace(/\/0\/$/, "/" + attrs.group + "/");
          open.textContent = "Open group " + attrs.group;
        } else {
          open.href = container.dataset.personUrl.replace("NOMINAL", encodeURIComponent(key));
          open.textContent = "Open the profile of " + attrs.label;
        }
        selection.hidden = false;
      }
      renderer.refresh();
    }

    renderer.on("enterNode", function (event) {
      summary.textContent = describe(level, graph.getNodeAttributes(event.node));
      selection.hidden = false;
      container.style.cursor = "pointer";
    });
    renderer.on("leaveNode", function () {
      container.style.cursor = "";
      if (selected) summary.textContent = describe(level, graph.getNodeAttributes(selected));
    });
    renderer.on("clickNode", function (event) {
      select(event.node);
      open.focus();
    });
    renderer.on("clickStage", function () { select(null); });

    if (expand) {
      expand.addEventListener("click", function () {
        if (!selected) return;
        var centre = graph.getNodeAttributes(selected);
        var url = container.dataset.neighboursUrl.replace("NOMINAL", encodeURIComponent(selected));
        expand.disabled = true;
        fetch(url, { credentials: "same-origin", headers: { Accept: "application/json" } })
          .then(function (response) {
            if (!response.ok) throw new Error(String(response.status));
            return response.json();
          })
          .then(function (more) {
            // People from other groups are placed on a ring around the person they link to.
            var fresh = more.nodes.filter(function (node) { return !graph.hasNode(node.key); });
            fresh.forEach(function (node, i) {
              var angle = (2 * Math.PI * i) / Math.max(fresh.length, 1);
              node.x = centre.x + 0.08 * Math.cos(angle);
              node.y = centre.y + 0.08 * Math.sin(angle);
              addNode(graph, node);
            });
            more.edges.forEach(function (edge) { addEdge(graph, edge); });
            measure();
            resize();
            report();
            status.textContent += " Added " + fresh.length + " neighbour(s) of " + centre.label + "." + (more.note ? " " + more.note : "");
            renderer.refresh();
          })
          .catch(function () { status.textContent = "The neighbours could not be loaded; try again."; })
          .finally(function () { expand.disabled = false; });
      });
    }

    // The keyboard, with the drawing focused: arrows pan, + and - zoom, 0 shows it all, N and P
    // step through what is drawn in the table's order (dismantling order, or priority for
    // groups), Enter opens the one chosen, Escape clears the choice. The panel (aria-live)
    // reads out each choice.
    var order = data.nodes.map(function (node) { return node.key; });
    function step(by) {
      var shown = order.filter(function (key) { return graph.hasNode(key) && visible(graph.getNodeAttributes(key)); });
      if (!shown.length) return;
      var at = selected ? shown.indexOf(selected) : -1;
      var next = shown[(at + by + shown.length) % shown.length];
      select(next);
      var place = renderer.getNodeDisplayData(next);
      if (place) renderer.getCamera().animate({ x: place.x, y: place.y }, { duration: 200 });
    }
    var keys = {
      ArrowLeft: function (camera) { camera.setState({ x: camera.x - 0.1 * camera.ratio }); },
      ArrowRight: function (camera) { camera.setState({ x: camera.x + 0.1 * camera.ratio }); },
      ArrowUp: function (camera) { camera.setState({ y: camera.y + 0.1 * camera.ratio }); },
      ArrowDown: function (camera) { camera.setState({ y: camera.y - 0.1 * camera.ratio }); },
      "+": function (camera) { camera.animatedZoom({ duration: 150 }); },
      "=": function (camera) { camera.animatedZoom({ duration: 150 }); },
      "-": function (camera) { camera.animatedUnzoom({ duration: 150 }); },
      "0": function (camera) { camera.animatedReset({ duration: 150 }); },
      n: function () { step(1); },
      p: function () { step(-1); },
      Enter: function () { if (selected) window.location.assign(open.href); },
      Escape: function () { select(null); },
    };
    container.addEventListener("keydown", function (event) {
      if (event.altKey || event.ctrlKey || event.metaKey) return;
      var action = keys[event.key] || keys[event.key.toLowerCase()];
      if (!action) return;
      event.preventDefault();
      action(renderer.getCamera());
    });

    form.addEventListener("input", function () {
      state.size = form.elements.size.value;
      state.harm = parseFloat(form.elements.harm.value) || 0;
      state.children = form.elements.children.checked;
      state.soc = form.elements.soc.checked;
      if (form.elements.group) state.group = parseInt(form.elements.group.value, 10) || null;
      if (form.elements.top) state.top = parseInt(form.elements.top.value, 10) || 0;
      if (form.elements.without) state.without = form.elements.without.checked;
      if (selected && !visible(graph.getNodeAttributes(selected))) select(null);
      resize();
      renderer.refresh();
      report();
    });
    form.addEventListener("submit", function (event) { event.preventDefault(); });
    report();
    // Milliseconds from the start of the page's navigation until the drawing was ready.
    container.dataset.drawnAt = String(Math.round(performance.now()));
  }

  document.querySelectorAll("[data-network]").forEach(start);
})();
