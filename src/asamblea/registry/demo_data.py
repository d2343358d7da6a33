"""Facts for the demo federation, from the shared scenario (southern Peru, December 2022).

Places and kinds of units follow the scenario; every unit name here is invented and generic
("Mina de cobre ..."), and every member is invented from the name pools below with a fixed seed.
No real person is a member.
"""

from __future__ import annotations

DEMO_SLUG = "federacion-sur"
DEMO_NAME = "Federación de Trabajadores y Campesinos del Sur (demostración)"
NAME_SEED = 20221207

SOUTHERN_DEPARTMENTS = ["Puno", "Cusco", "Ayacucho", "Apurímac", "Arequipa", "Moquegua", "Tacna"]
DEPARTMENTS = [*SOUTHERN_DEPARTMENTS, "Lima"]

# (code, name, kind, department, members). Kinds: workplace, neighbourhood, peasant_community,
# student_body, other_unit (rondas campesinas). Sizes 20 to 3,000.
UNITS: list[tuple[str, str, str, str, int]] = [
    # Puno (Juliaca, Puno city; Aymara-speaking communities)
    ("pun-mina-oro-ananea", "Mina de oro de Ananea", "workplace", "Puno", 1450),
    ("pun-sutep-juliaca", "SUTEP base Juliaca (docentes)", "workplace", "Puno", 820),
    ("pun-hospital-juliaca", "Hospital regional de Juliaca", "workplace", "Puno", 410),
    ("pun-transporte-juliaca", "Trabajadores del transporte de Juliaca", "workplace", "Puno", 640),
    ("pun-mercado-juliaca", "Mercado central de Juliaca", "workplace", "Puno", 530),
    ("pun-barrio-la-revolucion", "Barrio La Revolución, Juliaca", "neighbourhood", "Puno", 760),
    ("pun-cc-chucuito", "Comunidad campesina aymara de Chucuito", "peasant_community", "Puno", 380),
    ("pun-cc-ilave", "Comunidad campesina aymara de Ilave", "peasant_community", "Puno", 290),
    ("pun-ronda-azangaro", "Ronda campesina de Azángaro", "other_unit", "Puno", 220),
    (
        "pun-una-puno",
        "Estudiantes de la Universidad Nacional del Altiplano",
        "student_body",
        "Puno",
        1900,
    ),
    # Cusco
    ("cus-mina-cobre-chumbivilcas", "Mina de cobre de Chumbivilcas", "workplace", "Cusco", 1300),
    ("cus-sutep-cusco", "SUTEP base Cusco (docentes)", "workplace", "Cusco", 900),
    ("cus-hospital-regional", "Hospital Regional del Cusco", "workplace", "Cusco", 520),
    ("cus-mercado-central", "Mercado central del Cusco", "workplace", "Cusco", 350),
    ("cus-barrio-santiago", "Barrio de Santiago, Cusco", "neighbourhood", "Cusco", 610),
    ("cus-cc-anta", "Comunidad campesina de Anta", "peasant_community", "Cusco", 270),
    ("cus-cc-paruro", "Comunidad campesina de Paruro", "peasant_community", "Cusco", 160),
    ("cus-unsaac", "Estudiantes de la Universidad San Antonio Abad", "student_body", "Cusco", 2400),
    # Ayacucho
    ("aya-sutep-huamanga", "SUTEP base Huamanga (docentes)", "workplace", "Ayacucho", 540),
    (
        "aya-transporte-huamanga",
        "Trabajadores del transporte de Huamanga",
        "workplace",
        "Ayacucho",
        300,
    ),
    ("aya-mercado-central", "Mercado central de Huamanga", "workplace", "Ayacucho", 240),
    ("aya-cc-quinua", "Comunidad campesina de Quinua", "peasant_community", "Ayacucho", 190),
    ("aya-ronda-huanta", "Ronda campesina de Huanta", "other_unit", "Ayacucho", 140),
    (
        "aya-unsch",
        "Estudiantes de la Universidad San Cristóbal de Huamanga",
        "student_body",
        "Ayacucho",
        1500,
    ),
    # Apurímac (Andahuaylas)
    ("apu-mina-cobre-cotabambas", "Mina de cobre de Cotabambas", "workplace", "Apurímac", 1100),
    ("apu-sutep-andahuaylas", "SUTEP base Andahuaylas (docentes)", "workplace", "Apurímac", 430),
    ("apu-hospital-andahuaylas", "Hospital de Andahuaylas", "workplace", "Apurímac", 180),
    ("apu-cc-pacucha", "Comunidad campesina de Pacucha", "peasant_community", "Apurímac", 210),
    ("apu-cc-talavera", "Comunidad campesina de Talavera", "peasant_community", "Apurímac", 20),
    # Arequipa (mining region)
    ("are-mina-cobre-uchumayo", "Mina de cobre de Uchumayo", "workplace", "Arequipa", 3000),
    ("are-mina-oro-chala", "Mina de oro de Chala", "workplace", "Arequipa", 680),
    ("are-sutep-arequipa", "SUTEP base Arequipa (docentes)", "workplace", "Arequipa", 1050),
    ("are-hospital-regional", "Hospital regional de Arequipa", "workplace", "Arequipa", 620),
    ("are-mercado-mayorista", "Mercado mayorista de Arequipa", "workplace", "Arequipa", 450),
    ("are-barrio-cerro-colorado", "Barrio de Cerro Colorado", "neighbourhood", "Arequipa", 840),
    ("are-unsa", "Estudiantes de la Universidad San Agustín", "student_body", "Arequipa", 2600),
    # Moquegua
    ("moq-mina-cobre-torata", "Mina de cobre de Torata", "workplace", "Moquegua", 900),
    (
        "moq-transporte-ilo",
        "Trabajadores portuarios y del transporte de Ilo",
        "workplace",
        "Moquegua",
        260,
    ),
    ("moq-cc-carumas", "Comunidad campesina de Carumas", "peasant_community", "Moquegua", 95),
    # Tacna
    ("tac-sutep-tacna", "SUTEP base Tacna (docentes)", "workplace", "Tacna", 470),
    ("tac-mercado-central", "Mercado central de Tacna", "workplace", "Tacna", 210),
    ("tac-barrio-alto-alianza", "Barrio Alto de la Alianza", "neighbourhood", "Tacna", 380),
    ("tac-cc-tarata", "Comunidad campesina de Tarata", "peasant_community", "Tacna", 60),
    # Lima
    ("lim-barrio-villa-el-salvador", "Barrio de Villa El Salvador", "neighbourhood", "Lima", 1200),
    (
        "lim-barrio-san-juan-lurigancho",
        "Barrio de San Juan de Lurigancho",
        "neighbourhood",
        "Lima",
        950,
    ),
    ("lim-transporte-lima", "Trabajadores del transporte de Lima", "workplace", "Lima", 700),
    ("lim-hospital-cercado", "Hospital del Cercado de Lima", "workplace", "Lima", 560),
    ("lim-mercado-mayorista", "Mercado mayorista de Lima", "workplace", "Lima", 330),
    ("lim-unmsm", "Estudiantes de la Universidad de San Marcos", "student_body", "Lima", 2800),
]

# Student federations (senders to the southern joint strike committee): department -> name.
STUDENT_FEDERATIONS = {
    "Puno": "Federación Universitaria del Altiplano",
    "Cusco": "Federación Universitaria del Cusco",
    "Ayacucho": "Federación Universitaria de Huamanga",
    "Arequipa": "Federación Universitaria de Arequipa",
}

# Seat rules of the demo (our choices, written on the record like any setting).
REGIONAL_MEMBERS_PER_SEAT = 100
NATIONAL_MEMBERS_PER_SEAT = 400
FEDERATION_MEMBERS_PER_SEAT = 150
COMMITTEE_HOUSE_SIZE = 41
ALTERNATES_PER_SENDER = 2

GIVEN_NAMES = [
    # Spanish
    "María",
    "Juana",
    "Rosa",
    "Carmen",
    "Luz",
    "Elena",
    "Sofía",
    "Flor",
    "Norma",
    "Ruth",
    "José",
    "Juan",
    "Luis",
    "Carlos",
    "Pedro",
    "Jorge",
    "Víctor",
    "Raúl",
    "Mario",
    "Edwin",
    "Hilda",
    "Nélida",
    "Yeni",
    "Marleny",
    "Wilber",
    "Percy",
    "Alberto",
    "Rómulo",
    "Teodoro",
    # Quechua
    "Killa",
    "Inti",
    "Wayra",
    "Sumaq",
    "Qori",
    "Illari",
    "Amaru",
    "Kusi",
    "Yupanki",
    "Tupaq",
    "Pachakuti",
    "Mayta",
    "Urpi",
    "Chaska",
    "Nina",
    "Anka",
    "Waman",
    "Sayri",
    # Aymara
    "Wara",
    "Phaxsi",
    "Apaza",
    "Chuqui",
    "Mallku",
    "Yaretzi",
    "Jallalla",
    "Saxra",
    "Warmi",
]
SURNAMES = [
    "Quispe",
    "Mamani",
    "Condori",
    "Huamán",
    "Ccori",
    "Apaza",
    "Choque",
    "Ticona",
    "Layme",
    "Huanca",
    "Cutipa",
    "Coaquira",
    "Yupanqui",
    "Huallpa",
    "Ccama",
    "Pari",
    "Chambi",
    "Quilla",
    "Tito",
    "Puma",
    "Sucasaire",
    "Chura",
    "Calcina",
    "Huarachi",
    "Mayta",
    "Ayma",
    "Cusi",
    "Flores",
    "Torres",
    "Rojas",
    "Vargas",
    "Gutiérrez",
    "Ramos",
    "Paredes",
    "Medina",
    "Salazar",
    "Castillo",
    "Palomino",
    "Cárdenas",
    "Valencia",
]
