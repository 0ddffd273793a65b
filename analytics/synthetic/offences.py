"""Background crime: which offences occur how often, who is named, and how officers word them.

Templates use `{slot}` fields filled by `analytics.synthetic.text.Slots`: v/s/s2/w are the names
of the victim, suspect, second suspect and witness linked to the record; other slots are places,
objects and times. Some templates contain search terms innocently ("crack in the windscreen",
"weed killer", "runner beans") or near-misses ("cuckoo clock", "ran a line of washing"), as real
free text does; they are kept rare.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Offence:
    """A background offence. The p_* are chances that a nominal is named in that role."""

    code: str
    description: str
    weight: float
    p_victim: float
    p_suspect: float
    p_witness: float
    templates: tuple[str, ...]
    rare_templates: tuple[str, ...] = ()
    min_suspect_age: int = 10


OFFENCES: tuple[Offence, ...] = (
    Offence(
        "046/01",
        "shoplifting",
        12,
        0.0,
        0.7,
        0.05,
        (
            "Shop theft from {shop} on {street}, {area}. Suspect {s} selected {goods} and left "
            "without paying. CCTV available, staff know suspect as a regular.",
            "{desc} entered {shop} and concealed {goods} in a bag, decamped on foot towards "
            "{street}. Value {value}. Suspect identified as {s} from CCTV.",
            "Security detained {s} after leaving {shop} with {goods} worth {value}. Police "
            "attended, suspect dealt with by way of community resolution.",
            "Repeat theft of {goods} from {shop}, {area}. Store manager believes same male {s}.",
            "Shop theft from {shop}, {area}: {desc} took {goods} and left. No further lines of enquiry.",
        ),
        (
            "Shop theft from garden centre, {area}: runner beans plants, compost and a tub of "
            "weed killer taken by {s}. Value {value}.",
        ),
    ),
    Offence(
        "049/01",
        "other theft",
        12,
        0.9,
        0.25,
        0.05,
        (
            "IP {v} reports {item} stolen from {street}, {area} while unattended for a few "
            "minutes. No suspect description. No CCTV.",
            "Theft of {item} from garden/outbuilding at {street}, {area}. IP {v}. Entry via unlocked gate.",
            "IP {v} states {item} was taken from the changing room at the leisure centre "
            "in {area}. Suspect {s} seen leaving with a similar bag.",
            "Theft of {item} from communal hallway of flats on {street}. IP {v}.",
            "{item} stolen from outside address on {street}, {area}. IP {v} believes "
            "neighbour's son {s} responsible, no evidence at this time.",
            "Theft of {item} from {street}, {area}. Owner to be traced, no suspect.",
            "{s} seen taking {item} from outside a house on {street}, {area}.",
        ),
        (
            "IP {v} reports theft of an antique cuckoo clock and jewellery box from her home on "
            "{street} by a carer, {s}. Enquiries ongoing.",
            "Theft of washing from garden on {street}. IP {v} had ran a line of washing out "
            "across the yard and returned to find bedding gone.",
        ),
    ),
    Offence(
        "045/01",
        "theft from a motor vehicle",
        6,
        0.95,
        0.1,
        0.05,
        (
            "Theft from m/v {vehicle} VRM {vrm} parked on {street}, {area}. Window smashed and {item} taken. IP {v}.",
            "IP {v} reports {item} stolen from vehicle overnight, no damage, believed left unlocked. {street}, {area}.",
            "Catalytic converter removed from {vehicle} on {street} at approx {time}hrs. "
            "Neighbour heard cutting noise. IP {v}.",
            "IP {v}'s {vehicle} broken into on {street}; {s} caught on a doorbell camera.",
            "Theft from m/v on {street}, {area}: window smashed. Owner details to follow.",
            "{s} seen trying car door handles on {street}, {area}; {item} taken from one car.",
        ),
        (
            "IP {v} reports sat nav taken from car on {street}. Also a crack in the windscreen, "
            "unclear if caused at the same time.",
        ),
    ),
    Offence(
        "048/01",
        "theft of a motor vehicle",
        4,
        0.95,
        0.15,
        0.05,
        (
            "{vehicle} VRM {vrm} stolen from driveway on {street}, {area}. Keyless theft "
            "suspected, CCTV shows two males at {time}hrs. IP {v}.",
            "IP {v} reports moped stolen from outside address in {area}. Believed used in later robberies.",
            "Vehicle taken without consent by {s}, known to IP {v}. Recovered damaged in {area} next day.",
            "{vehicle} reported stolen from {street}, {area}; tracker activated.",
            "{s} seen driving a stolen {vehicle} in {area}.",
        ),
    ),
    Offence(
        "039/01",
        "theft from the person",
        2,
        0.95,
        0.2,
        0.1,
        (
            "IP {v} had {item} snatched from hand on {street}, {area} by {desc} on a moped.",
            "Pickpocket theft of wallet from IP {v} on bus through {area}. Cards used shortly after.",
            "IP {v} had purse taken from bag at {area} market; {s} detained by security.",
            "Phone snatched from a pedestrian on {street}, {area}; no details of loser yet.",
            "{s} seen dipping bags at {area} bus station.",
        ),
    ),
    Offence(
        "028/01",
        "residential burglary",
        7,
        0.95,
        0.2,
        0.1,
        (
            "Dwelling burglary at {street}, {area}. Rear door forced, {item} and {item2} taken. "
            "IP {v} away at the time. SOCO attended, glove marks only.",
            "Burglary - entry via insecure window at {time}hrs while IP {v} asleep upstairs. "
            "Car keys taken and {vehicle} stolen from drive.",
            "IP {v} disturbed {desc} in the kitchen, suspect fled via rear garden. Nothing "
            "taken. Suspect later identified as {s}.",
            "Attempted burglary {street}, {area}. Lock snapped, no entry gained. IP {v}.",
            "Burglary at {street}, {area}: rear door forced, house ransacked. Occupants away.",
            "{s} seen climbing out of a window of a house on {street}, {area} with a bag.",
        ),
        ("Burglary at allotment shed, {area}: tools, strimmer and weed killer stolen. IP {v}.",),
    ),
    Offence(
        "030/01",
        "business burglary",
        4,
        0.3,
        0.2,
        0.05,
        (
            "Commercial burglary at {shop} on {street}, {area}. Shutter forced, cigarettes and "
            "cash taken. Keyholder {v}.",
            "Break in at building site compound, {area}. Plant tools stolen.",
            "Burglary at school premises in {area}, laptops taken. Caretaker {v} found damage.",
            "Burglary at {shop}, {area}: {s} identified from CCTV forcing the shutter.",
            "Burglary at a unit on {street}, {area}; {s} arrested nearby. Keyholder {v}.",
        ),
    ),
    Offence(
        "058/01",
        "criminal damage to a dwelling",
        4,
        0.85,
        0.35,
        0.1,
        (
            "Criminal damage - front window of {street} smashed with a brick. IP {v}. Ongoing "
            "neighbour dispute with {s}.",
            "IP {v} reports front door kicked and damaged by ex-partner {s}.",
            "Eggs and paint thrown at house on {street}, {area}. IP {v}. Youths seen running off.",
            "Window of house on {street}, {area} smashed overnight. Occupant to be spoken to.",
            "{s} kicked a neighbour's door on {street} during a dispute.",
        ),
    ),
    Offence(
        "058/02",
        "criminal damage to a vehicle",
        5,
        0.95,
        0.3,
        0.1,
        (
            "Vehicle keyed along nearside, {street}, {area}. IP {v}.",
            "Tyres of {vehicle} slashed overnight. IP {v} suspects {s} following argument over parking.",
            "IP {v} reports wing mirror snapped off {vehicle} parked on {street}.",
            "Vehicle on {street}, {area} had tyres slashed overnight.",
            "{s} seen scratching cars on {street}, {area}.",
        ),
        (
            "IP {v} states a stone was thrown at his van on {street}, leaving a crack in the windscreen. Suspect {s}.",
            "Damage to {vehicle}: crack in the windscreen and dented bonnet after {s} jumped on it. IP {v}.",
        ),
    ),
    Offence(
        "058/03",
        "criminal damage - other",
        4,
        0.5,
        0.35,
        0.05,
        (
            "Graffiti to bus shelter and shop shutters on {street}, {area}.",
            "Damage to CCTV camera at {shop}, {area}. Suspect {s} seen on footage.",
            "Bins tipped over and fencing broken at the park on {street}.",
            "Council property damaged at the park on {street}, reported by warden {v}.",
            "{s} damaged the door of a community centre in {area}; manager {v} reported.",
        ),
    ),
    Offence(
        "105/01",
        "common assault",
        10,
        1.0,
        0.85,
        0.3,
        (
            "IP {v} pushed and slapped by {s} during argument at home address on {street}. "
            "DA - DASH completed, standard risk.",
            "Common assault outside takeaway on {street}, {area}: IP {v} punched once by {s}. No injury. Witness {w}.",
            "IP {v} spat at by {s} on the bus. Driver {w} witnessed.",
            "Assault on emergency worker: {s} kicked PC {pc} while being detained in {area}.",
            "IP {v} assaulted by {desc} in {area} town centre, no injury. Suspect not identified.",
        ),
        ("Neighbour dispute: {s} threatened to smack IP {v}'s son over football in the garden. Pushed IP {v}.",),
    ),
    Offence(
        "008/02",
        "assault occasioning actual bodily harm",
        7,
        1.0,
        0.8,
        0.3,
        (
            "IP {v} assaulted by partner {s} at home address, black eye and cut lip. DA - DASH "
            "medium risk, referral to IDVA.",
            "Fight outside pub in {area}: IP {v} punched to the ground by {s}, cut to head. Witness {w}.",
            "IP {v} assaulted by group of youths on {street}, bruising to ribs. Suspect {s} named by witness {w}.",
            "IP {v} attacked by {desc} on {street}, bruising and swelling to face. Suspect not identified.",
        ),
    ),
    Offence(
        "008/01",
        "wounding or inflicting GBH",
        1.2,
        1.0,
        0.75,
        0.3,
        (
            "IP {v} glassed in the face by {s} at a pub in {area}, wound requiring stitches.",
            "Domestic: {s} threw IP {v} down the stairs, broken wrist. High risk DASH, MARAC referral.",
            "IP {v} struck with a bottle by {desc} outside a bar in {area}, laceration needing stitches.",
        ),
    ),
    Offence(
        "005/01",
        "wounding with intent",
        0.3,
        1.0,
        0.6,
        0.4,
        (
            "Stabbing on {street}, {area} at {time}hrs. IP {v} stab wound to thigh, taken to "
            "QEHB. Suspect {s}. Scene preserved, witness {w}.",
            "IP {v} attacked with a machete by {desc} in {area}, serious injuries to arm. "
            "Suspect {s} identified via CCTV.",
            "IP {v} stabbed by {desc} on {street}, {area}; suspect made off in a {vehicle}.",
        ),
    ),
    Offence(
        "034/01",
        "robbery of personal property",
        2,
        1.0,
        0.3,
        0.2,
        (
            "IP {v} robbed of {item} on {street}, {area} by {desc} who threatened them with a knife.",
            "Street robbery: IP {v} surrounded by youths at {area} park, phone and coat "
            "taken. Suspect {s} goes to the same school.",
            "IP {v} robbed of watch by two males on a moped, {street}.",
        ),
    ),
    Offence(
        "034/02",
        "robbery of business property",
        0.5,
        0.5,
        0.3,
        0.3,
        (
            "Robbery at {shop}, {area}: {desc} threatened staff member {v} with a hammer, cash from till taken.",
            "Robbery of delivery driver {v} on {street}, parcels taken.",
            "{s} arrested after a robbery at {shop}, {area}; staff member {v} threatened.",
            "{s} identified for a robbery at a {shop} in {area}; CCTV secured.",
            "Robbery at {shop}, {area}: {desc} took cash from the till and ran off.",
        ),
    ),
    Offence(
        "008/03",
        "harassment",
        5,
        1.0,
        0.95,
        0.05,
        (
            "IP {v} reports repeated unwanted messages and calls from ex-partner {s} after being told to stop. DA.",
            "Harassment: {s} has turned up outside IP {v}'s workplace in {area} on several occasions.",
            "Malicious communications - {s} posting abusive comments about IP {v} on social media.",
            "IP {v} receiving abusive messages from an unknown account; enquiries with the platform.",
        ),
    ),
    Offence(
        "066/01",
        "public order",
        5,
        0.5,
        0.9,
        0.1,
        (
            "Section 5 POA: {s} shouting and swearing in the street outside {shop}, {area}, "
            "causing alarm to passers by incl. {v}.",
            "Sec 4A: {s} threatened staff {v} at the GP surgery when told no appointments.",
            "Drunk and abusive male {s} at {area} bus station, refused to leave.",
            "Disorder outside {shop}, {area}: group of youths fighting, dispersed on police arrival.",
            "Staff member {v} threatened by a customer at {shop}, {area}; customer left.",
        ),
        ("Disturbance at the running track in {area}: {s} abusive towards coach {v} after being asked to leave.",),
    ),
    Offence(
        "053/01",
        "fraud",
        5,
        1.0,
        0.3,
        0.0,
        (
            "Elderly IP {v} cold called by male claiming to be from the bank, transferred {value} to a 'safe account'.",
            "Fraud - IP {v} paid {value} for a car advertised online, vehicle never existed.",
            "IP {v} bank card used without consent after being lost in {area}. Suspect {s}.",
            "Courier fraud on IP {v}, {street}: cash handed to a courier sent by fake police.",
        ),
    ),
    Offence(
        "056/01",
        "arson",
        0.8,
        0.7,
        0.3,
        0.1,
        (
            "Arson - wheelie bins set alight against side of house on {street}. IP {v}.",
            "{vehicle} set on fire on {street}, {area}. Owner {v}. Suspect {s}.",
            "Derelict building on {street}, {area} set on fire; fire service attended.",
            "{s} seen setting fire to bins on {street}, {area}.",
        ),
    ),
    Offence(
        "092/04",
        "possession of cannabis",
        3,
        0.0,
        1.0,
        0.0,
        (
            "Stop search of {s} on {street}, {area}: small bag of cannabis found in pocket. Cannabis warning issued.",
            "Strong smell of cannabis from vehicle VRM {vrm}; driver {s} found with a small "
            "quantity of herbal cannabis (weed). Community resolution.",
            "Possession of Class B - {s} found with 3 grams of cannabis at {area} park.",
        ),
    ),
    Offence(
        "092/03",
        "possession of a Class A drug",
        1,
        0.0,
        1.0,
        0.0,
        (
            "Stop search: {s} found with one wrap of cocaine in wallet outside a bar in {area}. "
            "Drug education referral.",
            "Possession of Class A - {s} found in possession of a wrap of heroin and a crack "
            "pipe at {area} station. Known user.",
            "{s} found with 2 wraps of crack cocaine during arrest for shop theft.",
        ),
    ),
    Offence(
        "092/02",
        "supply of a Class B drug",
        0.5,
        0.0,
        1.0,
        0.0,
        (
            "Warrant executed at {street}, {area}: cannabis grow of 40 plants found in loft. "
            "{s} arrested, PWITS Class B.",
            "Possession with intent to supply cannabis - {s} found with 12 bags of weed, scales "
            "and {value} cash. Local dealing to friends only, no CL links.",
            "{s} selling cannabis from a car park in {area}; PWITS Class B.",
        ),
        min_suspect_age=14,
    ),
    Offence(
        "092/01",
        "supply of a Class A drug",
        0.3,
        0.0,
        1.0,
        0.0,
        (
            "{s} arrested after test purchase operation in {area}: sold cocaine to undercover "
            "officer outside a pub. PWITS Class A.",
            "Warrant at {street}: half ounce of cocaine, scales, bags and {value} cash found. {s} charged with PWITS.",
        ),
        min_suspect_age=16,
    ),
    Offence(
        "010/02",
        "possession of a bladed article",
        1.2,
        0.0,
        1.0,
        0.1,
        (
            "Possession of bladed article - {s} stopped on {street}, {area} with kitchen knife in waistband.",
            "School reported pupil {s} had a knife in bag. Recovered by staff at {school}.",
            "{s} found with a lock knife during search after disturbance in {area} town centre.",
        ),
        min_suspect_age=12,
    ),
    Offence(
        "010/01",
        "possession of a prohibited firearm",
        0.1,
        0.0,
        0.8,
        0.1,
        (
            "Converted blank firing pistol and ammunition recovered at {street}, {area}. {s} arrested.",
            "Shots fired report {area}; firearm later recovered from a garden on {street}. Suspect {s}.",
            "Firearm found in bushes on {street}, {area} by a dog walker. Recovered for forensics.",
        ),
        min_suspect_age=16,
    ),
    Offence(
        "106/01",
        "modern slavery",
        0.05,
        1.0,
        0.5,
        0.0,
        (
            "Labour exploitation at a hand car wash in {area}: IP {v} working 12 hour days for "
            "no pay, passport held by {s}. NRM referral.",
            "Concerns IP {v} being forced to work in a nail bar in {area} and living on site. "
            "Suspect {s}. NRM referral.",
            "IP {v} disclosed being forced to work on a farm for no pay; suspects not identified. NRM referral.",
        ),
        min_suspect_age=18,
    ),
)

OFFENCE_BY_CODE: dict[str, Offence] = {offence.code: offence for offence in OFFENCES}

# Offence codes the county-line and SOC storylines use (all present in the harm table too).
LINE_OFFENCE_CODES: tuple[str, ...] = ("092/01", "106/01", "005/01", "010/01", "010/02", "034/01")


INTELLIGENCE_TEMPLATES: tuple[str, ...] = (
    "Intelligence suggests {s} is associating with {s2} and frequenting the {area} area late at night.",
    "{s} believed to be storing stolen {item}s at an address on {street}, {area}.",
    "Information that {s} is selling cannabis from his home address in {area}. Small scale, friends only.",
    "{s} seen driving {vehicle} VRM {vrm} in {area}. No insurance per PNC.",
    "{s} is making threats to ex-partner {s2} via social media. DA concerns, IDVA informed.",
    "{s} and {s2} believed to be involved in catalytic converter thefts across {la}.",
    "Sighting: {s} and {s2} in company at {area} retail park at {time}hrs.",
    "{s} said to carry a knife for protection when in {area}.",
    "{s} reported to be using crack cocaine and heroin daily, begging near {area} station.",
    "Concern for welfare of {s}: hoarding at address, known to adult social care.",
    "{s} is believed to be receiving stolen phones at a shop in {area}.",
    "{s} has a new partner, {s2}, who has young children. Shared with PPU.",
    "{s} is working cash in hand at a garage on {street}; possible benefit fraud.",
    "{s} and {s2} fell out over money; threats made, possible retaliation in {area}.",
)

RARE_INTELLIGENCE_TEMPLATES: tuple[str, ...] = (
    "PCSO {pc} delivered a county lines awareness session at {school} in {area}. No persons of concern identified.",
    "Neighbourhood team leaflet drop in {area} re cuckooing and exploitation awareness.",
    "{s} works as a runner for a bookmaker in {area}; seen carrying cash bags, legitimate.",
    "Community meeting in {area}: residents raised concerns about youths on bikes; "
    "nothing to suggest a drugs line at this stage.",
    "Parent called the national drugs line for advice about son {s} smoking weed; passed to Early Help.",
)

ARREST_OUTCOMES: tuple[str, ...] = (
    "NFA.",
    "Released under investigation (RUI).",
    "Bailed to return.",
    "Charged and remanded to court.",
    "Charged and bailed to court.",
    "Cautioned.",
    "Community resolution.",
    "Outcome 22 - diverted to a youth intervention programme.",
    "Voluntary attendance, interviewed and released.",
)

CUSTODY_TEMPLATES: tuple[str, ...] = (
    "Arrested for {offence}. Detained {custody} custody at {time}hrs. Interviewed. {outcome}",
    "DP {s} arrested on suspicion of {offence} in {area}. Booked into {custody} custody. {outcome}",
    "Custody record: {offence}. Detainee {s} compliant, no medical issues. {outcome}",
    "ARREST - {offence}. Detained {custody}. Solicitor requested. {outcome}",
)

PRISON_TEMPLATES: tuple[str, ...] = (
    "Prison release notification: {s} due for release from {prison} on licence. Index "
    "offence: {offence}. Licence address in {area}.",
    "PINS: {s} released from {prison} at end of custodial term ({offence}). No licence.",
    "Release on HDC from {prison}: {s}, index offence {offence}. Tag fitted at {area} address.",
)

CHILD_MISSING_TEMPLATES: tuple[str, ...] = (
    "MISPER - {age}yo {gender} reported missing by mother after an argument about phone use. "
    "Returned home {time}hrs same day. Safe and well check done.",
    "{age} year old reported missing from home, last seen {area} park. Found at "
    "grandmother's address next morning. Low risk.",
    "MISPER {s}, {age}, did not return from school. Located at a friend's house in {area} at {time}hrs, returned home.",
    "Missing person: {s} ({age}) stayed out after a party in {area} without telling parents. "
    "Returned next morning, safe and well.",
)

LOOKED_AFTER_MISSING_TEMPLATES: tuple[str, ...] = (
    "Missing person report: {s} ({age}) failed to return to children's home in {area} after "
    "school. LAC. Located by staff at a friend's address, no concerns at RHI.",
    "Missing from foster placement in {area}, {s} ({age}). Returned of own accord after 6 "
    "hours, had been with a boyfriend/girlfriend. Return home interview booked.",
    "MISPER {s} ({age}), LAC, absent from residential placement overnight. Located in {area} "
    "town centre with friends. Placement informed.",
)

ADULT_MISSING_TEMPLATES: tuple[str, ...] = (
    "Missing person: {age}yo {gender}, dementia, left care home on {street}. Located 2 hours "
    "later by officers on {street}. Returned safe.",
    "MISPER high risk - adult with MH concerns sent messages to family. Located by officers "
    "near the canal in {area}, taken to hospital under s.136.",
    "Adult reported missing by partner after failing to return from work. Turned up next day, "
    "had been drinking with friends. Low risk.",
    "Missing person {s} ({age}) walked out of hospital ward in {area}. Found at home address.",
)
