"""A small sample catalogue, so that a fresh shelfnet has something to serve.

Thirty classic works, catalogued here for shelfnet (bibliographic facts only), with holdings in
852 so that OPAC records have something to show. ``sample_records()`` builds them with pymarc
each time: nothing binary is shipped.
"""

from __future__ import annotations

from pymarc import Field, Indicators, Leader, Record, Subfield

# author, dates, title, subtitle, place, publisher, year, language, subjects, call number
_WORKS: tuple[tuple[str, str, str, str, str, str, str, str, tuple[str, ...], str], ...] = (
    (
        "Austen, Jane",
        "1775-1817",
        "Pride and prejudice",
        "",
        "London",
        "T. Egerton",
        "1813",
        "eng",
        ("Courtship -- Fiction", "England -- Fiction"),
        "PR4034 .P7",
    ),
    (
        "Austen, Jane",
        "1775-1817",
        "Emma",
        "a novel",
        "London",
        "John Murray",
        "1815",
        "eng",
        ("Matchmaking -- Fiction",),
        "PR4034 .E5",
    ),
    (
        "Brontë, Charlotte",
        "1816-1855",
        "Jane Eyre",
        "an autobiography",
        "London",
        "Smith, Elder and Co.",
        "1847",
        "eng",
        ("Governesses -- Fiction",),
        "PR4167 .J3",
    ),
    (
        "Brontë, Emily",
        "1818-1848",
        "Wuthering Heights",
        "a novel",
        "London",
        "Thomas Cautley Newby",
        "1847",
        "eng",
        ("Yorkshire (England) -- Fiction",),
        "PR4172 .W7",
    ),
    (
        "Dickens, Charles",
        "1812-1870",
        "Great expectations",
        "",
        "London",
        "Chapman and Hall",
        "1861",
        "eng",
        ("Orphans -- Fiction",),
        "PR4560",
    ),
    (
        "Dickens, Charles",
        "1812-1870",
        "A tale of two cities",
        "",
        "London",
        "Chapman and Hall",
        "1859",
        "eng",
        ("France -- History -- Revolution, 1789-1799 -- Fiction",),
        "PR4571",
    ),
    (
        "Eliot, George",
        "1819-1880",
        "Middlemarch",
        "a study of provincial life",
        "Edinburgh",
        "William Blackwood and Sons",
        "1871",
        "eng",
        ("Married people -- Fiction",),
        "PR4662",
    ),
    (
        "Hardy, Thomas",
        "1840-1928",
        "Tess of the d'Urbervilles",
        "a pure woman",
        "London",
        "James R. Osgood, McIlvaine",
        "1891",
        "eng",
        ("Young women -- Fiction",),
        "PR4748",
    ),
    (
        "Melville, Herman",
        "1819-1891",
        "Moby-Dick",
        "or, The whale",
        "New York",
        "Harper & Brothers",
        "1851",
        "eng",
        ("Whaling -- Fiction", "Sea stories"),
        "PS2384 .M6",
    ),
    (
        "Twain, Mark",
        "1835-1910",
        "Adventures of Huckleberry Finn",
        "",
        "New York",
        "Charles L. Webster",
        "1885",
        "eng",
        ("Mississippi River -- Fiction",),
        "PS1305",
    ),
    (
        "Hawthorne, Nathaniel",
        "1804-1864",
        "The scarlet letter",
        "a romance",
        "Boston",
        "Ticknor, Reed, and Fields",
        "1850",
        "eng",
        ("Puritans -- Fiction",),
        "PS1868",
    ),
    (
        "Alcott, Louisa May",
        "1832-1888",
        "Little women",
        "",
        "Boston",
        "Roberts Brothers",
        "1868",
        "eng",
        ("Sisters -- Fiction",),
        "PS1017 .L5",
    ),
    (
        "Tolstoy, Leo",
        "1828-1910",
        "War and peace",
        "",
        "New York",
        "Thomas Y. Crowell",
        "1886",
        "eng",
        ("Napoleonic Wars, 1800-1815 -- Fiction",),
        "PG3366 .V6",
    ),
    (
        "Dostoyevsky, Fyodor",
        "1821-1881",
        "Crime and punishment",
        "",
        "London",
        "Vizetelly & Co.",
        "1886",
        "eng",
        ("Murder -- Fiction", "Saint Petersburg (Russia) -- Fiction"),
        "PG3326 .P7",
    ),
    (
        "Flaubert, Gustave",
        "1821-1880",
        "Madame Bovary",
        "moeurs de province",
        "Paris",
        "Michel Lévy frères",
        "1857",
        "fre",
        ("Adultery -- Fiction",),
        "PQ2246 .M2",
    ),
    (
        "Hugo, Victor",
        "1802-1885",
        "Les misérables",
        "",
        "Paris",
        "A. Lacroix, Verboeckhoven",
        "1862",
        "fre",
        ("France -- History -- 1815-1848 -- Fiction",),
        "PQ2286 .A1",
    ),
    (
        "Cervantes Saavedra, Miguel de",
        "1547-1616",
        "El ingenioso hidalgo don Quixote de la Mancha",
        "",
        "Madrid",
        "Juan de la Cuesta",
        "1605",
        "spa",
        ("Knights and knighthood -- Fiction",),
        "PQ6323 .A1",
    ),
    (
        "Goethe, Johann Wolfgang von",
        "1749-1832",
        "Faust",
        "eine Tragödie",
        "Tübingen",
        "J. G. Cotta",
        "1808",
        "ger",
        ("Faust, d. 1540 -- Drama",),
        "PT1925",
    ),
    (
        "Shelley, Mary Wollstonecraft",
        "1797-1851",
        "Frankenstein",
        "or, The modern Prometheus",
        "London",
        "Lackington, Hughes, Harding, Mavor & Jones",
        "1818",
        "eng",
        ("Scientists -- Fiction", "Monsters -- Fiction"),
        "PR5397 .F7",
    ),
    (
        "Stoker, Bram",
        "1847-1912",
        "Dracula",
        "",
        "Westminster",
        "Archibald Constable",
        "1897",
        "eng",
        ("Vampires -- Fiction",),
        "PR6037 .T617",
    ),
    (
        "Wilde, Oscar",
        "1854-1900",
        "The picture of Dorian Gray",
        "",
        "London",
        "Ward Lock",
        "1891",
        "eng",
        ("Portraits -- Fiction",),
        "PR5819 .A1",
    ),
    (
        "Carroll, Lewis",
        "1832-1898",
        "Alice's adventures in Wonderland",
        "",
        "London",
        "Macmillan",
        "1865",
        "eng",
        ("Fantasy fiction",),
        "PR4611 .A7",
    ),
    (
        "Conrad, Joseph",
        "1857-1924",
        "Heart of darkness",
        "",
        "Edinburgh",
        "William Blackwood and Sons",
        "1902",
        "eng",
        ("Congo River -- Fiction",),
        "PR6005 .O4 H4",
    ),
    (
        "Darwin, Charles",
        "1809-1882",
        "On the origin of species by means of natural selection",
        "",
        "London",
        "John Murray",
        "1859",
        "eng",
        ("Evolution (Biology)", "Natural selection"),
        "QH365 .O2",
    ),
    (
        "Smith, Adam",
        "1723-1790",
        "An inquiry into the nature and causes of the wealth of nations",
        "",
        "London",
        "W. Strahan and T. Cadell",
        "1776",
        "eng",
        ("Economics",),
        "HB161 .S65",
    ),
    (
        "Newton, Isaac",
        "1642-1727",
        "Philosophiae naturalis principia mathematica",
        "",
        "Londini",
        "Jussu Societatis Regiae ac Typis Josephi Streater",
        "1687",
        "lat",
        ("Mechanics -- Early works to 1800",),
        "QA803 .A2",
    ),
    (
        "Homer",
        "",
        "The Odyssey",
        "",
        "London",
        "Macmillan",
        "1879",
        "eng",
        ("Odysseus (Greek mythology) -- Poetry",),
        "PA4025 .A5",
    ),
    (
        "Dante Alighieri",
        "1265-1321",
        "La divina commedia",
        "",
        "Foligno",
        "Johann Numeister",
        "1472",
        "ita",
        ("Hell -- Poetry",),
        "PQ4302 .A2",
    ),
    (
        "Kafka, Franz",
        "1883-1924",
        "Die Verwandlung",
        "",
        "Leipzig",
        "Kurt Wolff",
        "1915",
        "ger",
        ("Metamorphosis -- Fiction",),
        "PT2621 .A26 V4",
    ),
    (
        "Woolf, Virginia",
        "1882-1941",
        "Mrs. Dalloway",
        "",
        "London",
        "Hogarth Press",
        "1925",
        "eng",
        ("London (England) -- Fiction",),
        "PR6045 .O72 M7",
    ),
)


def _record(
    number: int, work: tuple[str, str, str, str, str, str, str, str, tuple[str, ...], str]
) -> Record:
    author, dates, title, subtitle, place, publisher, year, language, subjects, call = work
    record = Record(force_utf8=True)
    record.leader = Leader("00000cam a2200000 a 4500")
    record.fields.append(Field(tag="001", data=f"sample{number:04d}"))
    record.fields.append(Field(tag="003", data="SHELFNET"))
    record.fields.append(
        Field(tag="008", data=f"260101s{year}    xx            000 1 {language} d")
    )
    name = [Subfield("a", author + ("," if dates else "."))]
    if dates:
        name.append(Subfield("d", dates + "."))
    record.fields.append(Field(tag="100", indicators=Indicators("1", " "), subfields=name))
    title_subfields = [Subfield("a", title + (" :" if subtitle else " /"))]
    if subtitle:
        title_subfields.append(Subfield("b", subtitle + " /"))
    display_author = " ".join(reversed(author.split(", ", 1)))
    title_subfields.append(Subfield("c", f"{display_author}."))
    skip = next(
        (
            len(a)
            for a in ("The ", "A ", "An ", "La ", "Les ", "El ", "Die ")
            if title.startswith(a)
        ),
        0,
    )
    record.fields.append(
        Field(tag="245", indicators=Indicators("1", str(skip)), subfields=title_subfields)
    )
    record.fields.append(
        Field(
            tag="260",
            indicators=Indicators(" ", " "),
            subfields=[
                Subfield("a", f"{place} :"),
                Subfield("b", f"{publisher},"),
                Subfield("c", f"{year}."),
            ],
        )
    )
    for subject in subjects:
        parts = subject.split(" -- ")
        subfields = [Subfield("a", parts[0])] + [Subfield("x", p) for p in parts[1:]]
        record.fields.append(Field(tag="650", indicators=Indicators(" ", "0"), subfields=subfields))
    record.fields.append(
        Field(
            tag="852",
            indicators=Indicators("0", " "),
            subfields=[
                Subfield("a", "SHELFNET"),
                Subfield("b", "Main Library"),
                Subfield("h", call),
                Subfield("p", f"39000{number:07d}"),
                Subfield("t", "1"),
            ],
        )
    )
    return record


def sample_records() -> list[Record]:
    """The sample catalogue's records, as pymarc records in UTF-8."""
    return [_record(number, work) for number, work in enumerate(_WORKS, 1)]


def sample_iso2709() -> bytes:
    """The sample catalogue as one ISO 2709 file."""
    return b"".join(record.as_marc() for record in sample_records())
