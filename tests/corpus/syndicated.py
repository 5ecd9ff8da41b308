"""Syndicated fixtures written for these tests: one wire story as four outlets ran it
(datelines, bylines, copyright lines, "Read more" tails, edited headlines, a dropped paragraph)
and two different stories about the same event, which must stay apart."""

from typing import Any

WIRE = [
    "The harbour authority in Port Alder said on Tuesday that it would close the northern "
    "container terminal for six weeks while engineers replace the cranes damaged in last "
    "month's storm.",
    "About four hundred dock workers will be moved to the southern terminal during the "
    "repairs, the authority said, and shipping lines have been asked to reroute their "
    "vessels to the smaller berths near the old fish market.",
    "Harbour master Ellen Voss told reporters that the storm had bent two of the five cranes "
    "beyond repair and that the replacements were being shipped in pieces from a yard in "
    "Rotterdam.",
    "Local businesses warned that the closure would hit the town's economy during its busiest "
    "season, when cruise ships and freight traffic usually peak together in the summer.",
    "The chamber of commerce has asked the regional government for emergency grants to cover "
    "lost trade, and a decision on the request is expected before the end of the month.",
    "The authority said the total cost of the repairs would be about thirty million euros, most "
    "of it covered by insurance, and that the terminal should reopen in the middle of August.",
    "Union leaders said they would meet the authority on Thursday to discuss overtime rules "
    "for the workers moved to the southern terminal during the closure period.",
]

# the same event, written twice independently: same names and facts, different words
SAME_EVENT = [
    "Storm-hit cranes at Port Alder will keep the northern terminal shut until August. Ellen "
    "Voss, who runs the harbour, blamed the gale for wrecking two of the five cranes.\n\n"
    "Shops and hotels in the town fear a lost summer. Their trade body wants grants from the "
    "regional government. Dockers will work from the southern quay in the meantime, while "
    "new cranes arrive from the Netherlands in sections.",
    "Cruise passengers arriving at Port Alder this summer will find the north quay fenced off. "
    "Repair crews are replacing storm damaged lifting gear there, a job the port puts at "
    "thirty million euros.\n\nUnions are due to talk about overtime on Thursday. Traders on "
    "the seafront said they had already seen bookings fall since the storm.",
]


def body(paragraphs: list[str]) -> str:
    return "\n\n".join(paragraphs)


def outlets() -> list[dict[str, Any]]:
    """The wire story as four outlets ran it (the second one first: it is the earliest)."""
    return [
        {
            "id": "wire-1",
            "title": "Port Alder to close northern terminal for crane repairs",
            "body": body(WIRE),
            "source": "Example Wire",
            "published": "2024-06-04",
        },
        {
            "id": "herald-1",
            "title": "Storm damage shuts harbour terminal",
            "body": "PORT ALDER (Reuters) - "
            + body(WIRE)
            + "\n\nCopyright 2024 Example Wire. All rights reserved.",
            "source": "Coast Herald",
            "published": "2024-06-03",
        },
        {
            "id": "gazette-1",
            "title": "Northern terminal closing for six weeks",
            "body": "By Sam Reed\n\n"
            + body(WIRE[:4] + WIRE[5:])
            + "\n\nRead more: how the storm hit the coast",
            "source": "Valley Gazette",
            "published": "2024-06-05",
        },
        {
            "id": "post-1",
            "title": "Cranes to be replaced at Port Alder",
            "body": "PORT ALDER, June 4 (AP) — " + body(WIRE[:6]),
            "source": "Daily Post",
            "published": "2024-06-04",
        },
    ]


def same_event() -> list[dict[str, Any]]:
    return [
        {
            "id": f"event-{n}",
            "title": f"Port Alder terminal closure, view {n}",
            "body": text,
            "source": "Coast Herald",
            "published": "2024-06-06",
        }
        for n, text in enumerate(SAME_EVENT, 1)
    ]
