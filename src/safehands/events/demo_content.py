"""What the demo events are made of: the units that report, how much and what kind, the
mix of outcomes, and the words of descriptions, reviews and feedback (Norwegian and English,
no names). `demo` draws the reports from these with a seeded generator.
"""

from __future__ import annotations

from dataclasses import dataclass

SEED = 20240301
MONTHS = 24  # the months before the current one; the current one runs up to now
# The anonymous demo report's follow-up key. The demo's passwords are public, and so is this.
DEMO_FOLLOWUP_TOKEN = "demo-followup-lilleborg-2024"


@dataclass(frozen=True)
class DemoUnit:
    code: str
    per_month: float  # mean reports a month
    profile: str  # which mix of event types
    handler: str  # the demo coordinator who handles its reports
    login: str = ""  # a demo login who reports here too
    falls_better_from: int | None = None  # months ago the falls work began to tell


DEMO_UNITS = (
    DemoUnit("OUS-RH-MED", 24, "medical", "ous.coordinator", "rh.med.reporter", 18),
    DemoUnit("OUS-RH-GER", 14, "geriatric", "ous.coordinator", falls_better_from=22),
    DemoUnit("OUS-RH-SUR", 10, "surgical", "ous.coordinator"),
    DemoUnit("OUS-RH-ED", 9, "emergency", "ous.coordinator"),
    DemoUnit("OUS-ULL-MED", 16, "medical", "ous.coordinator"),
    DemoUnit("AHUS-NOR-MED", 12, "medical", "hso.coordinator"),
    DemoUnit("K0301-NH1-LT", 6, "nursing_home", "oslo.coordinator", "lilleborg.reporter"),
    DemoUnit("K0301-NH1-DEM", 5, "dementia", "oslo.coordinator", "lilleborg.reporter"),
    DemoUnit("K0301-NH1-ST", 3, "nursing_home", "oslo.coordinator", "lilleborg.reporter"),
    DemoUnit("K0301-HC1", 3, "home_care", "oslo.coordinator"),
)
MIN_PER_MONTH, MAX_PER_MONTH = 12, 34  # for the busiest ward, whole months, before the cases

# Weights of event types per kind of unit (Norwegian and NHS reporting mixes, roughly).
PROFILES: dict[str, dict[str, float]] = {
    "medical": {"fall": 20, "medication": 28, "pressure_ulcer": 7, "deterioration": 8,
                "infection": 5, "documentation": 8, "discharge": 6, "device": 4,
                "clinical_process": 4, "patient_behaviour": 3, "blood": 1, "nutrition": 2,
                "infrastructure": 2, "staff_violence": 1, "staff_injury": 1,
                "staff_needlestick": 1},
    "geriatric": {"fall": 32, "medication": 24, "pressure_ulcer": 10, "deterioration": 6,
                  "nutrition": 5, "patient_behaviour": 6, "documentation": 5, "discharge": 5,
                  "staff_violence": 3, "staff_injury": 2, "infection": 2},
    "surgical": {"surgery": 18, "medication": 22, "infection": 12, "fall": 10,
                 "deterioration": 8, "documentation": 8, "device": 6, "discharge": 6,
                 "clinical_process": 5, "blood": 2, "staff_needlestick": 3},
    "emergency": {"deterioration": 16, "sepsis": 10, "medication": 18,
                  "patient_behaviour": 12, "clinical_process": 10, "documentation": 8,
                  "staff_violence": 10, "fall": 6, "device": 4, "infrastructure": 3,
                  "staff_needlestick": 3},
    "nursing_home": {"fall": 35, "medication": 28, "pressure_ulcer": 10, "nutrition": 5,
                     "patient_behaviour": 5, "infection": 4, "documentation": 4,
                     "staff_violence": 4, "staff_injury": 3, "deterioration": 2},
    "dementia": {"fall": 30, "patient_behaviour": 18, "medication": 20, "staff_violence": 12,
                 "pressure_ulcer": 6, "nutrition": 6, "staff_injury": 4, "documentation": 4},
    "home_care": {"medication": 45, "fall": 20, "documentation": 10, "infrastructure": 5,
                  "deterioration": 5, "staff_injury": 6, "staff_violence": 4,
                  "pressure_ulcer": 5},
}

# Outcome weights: none, low, moderate, severe, death. Very few severe or fatal.
OUTCOMES = ("none", "low", "moderate", "severe", "death")
OUTCOME_WEIGHTS: dict[str, tuple[float, ...]] = {
    "default": (44, 40, 15, 0.5, 0.1),
    "medication": (60, 30, 9.5, 0.3, 0.05),
    "fall": (34, 46, 18, 1.0, 0.1),
    "pressure_ulcer": (4, 62, 32, 0.8, 0),
    "documentation": (78, 19, 3, 0, 0),
    "infrastructure": (80, 17, 3, 0, 0),
    "staff": (48, 42, 10, 0.3, 0),
}
# Of the reports with no harm, the share that never reached the patient (near misses).
NEAR_MISS = {"medication": 0.6, "documentation": 0.45, "blood": 0.7, "device": 0.4,
             "surgery": 0.5, "default": 0.2}

FACTORS: dict[str, tuple[str, ...]] = {
    "fall": ("patient.cognition", "patient.condition", "environment.layout",
             "environment.staffing", "task.equipment", "team.handover"),
    "medication": ("task.procedure", "task.it", "individual.fatigue", "environment.staffing",
                   "team.communication", "individual.knowledge"),
    "pressure_ulcer": ("patient.condition", "task.procedure", "environment.staffing",
                       "task.equipment"),
    "deterioration": ("team.communication", "team.supervision", "task.procedure",
                      "environment.staffing", "individual.knowledge"),
    "staff_violence": ("patient.cognition", "environment.staffing", "environment.layout",
                       "organisation.policy"),
    "default": ("task.procedure", "team.communication", "environment.staffing",
                "organisation.policy", "task.it", "team.handover"),
}

# Descriptions: short, realistic, no names. {t} a time, {r} a room, {d} a medicine.
TEXTS: dict[str, tuple[tuple[str, str], ...]] = {
    "fall": (
        ("nb", "Pasienten ble funnet sittende på gulvet ved sengen kl. {t}. Hadde forsøkt å gå "
               "på toalettet alene. Tilsett av lege, ingen synlige skader."),
        ("nb", "Pasient på rom {r} falt i dusjen. Slo hodet lett mot veggen, fikk kul i "
               "panna. Observert etter rutine for hodeskade."),
        ("nb", "Pasienten skled ut av stolen under måltidet kl. {t}. Sengealarm var ikke "
               "slått på. Smerter i hoften, sendt til røntgen."),
        ("nb", "Forvirret pasient klatret over sengehesten i natt og falt. Hudavskrapning "
               "på albuen."),
        ("en", "Patient found on the floor beside the bed at {t}, had tried to walk to the "
               "toilet alone. Seen by the doctor, no visible injury."),
        ("en", "Patient in room {r} tripped over the drip stand while walking to the bathroom. "
               "Bruise on the knee."),
    ),
    "medication": (
        ("nb", "{d} ble gitt to timer for sent fordi legemiddelet ikke var på avdelingen. "
               "Ingen følger observert."),
        ("nb", "Feil dose {d} gjort klar: 10 mg i stedet for 1 mg. Oppdaget ved "
               "dobbeltkontroll før utdeling."),
        ("nb", "Pasient på rom {r} fikk kveldsdosen {d} to ganger; registreringen i kurven "
               "manglet. Lege kontaktet, ekstra observasjon i natt."),
        ("nb", "Legemiddelsamstemming ved innleggelse ble ikke gjort. Pasientens faste "
               "{d} ble ikke gitt i to døgn."),
        ("en", "{d} was prepared for the wrong patient; noticed at the bedside when "
               "checking the wristband. Not given."),
        ("en", "Infusion pump set at ten times the prescribed rate of {d}. Found after ten "
               "minutes, doctor informed, no harm seen."),
    ),
    "pressure_ulcer": (
        ("nb", "Trykksår kategori 2 oppdaget på hælen ved stell. Snuplan var ikke fulgt i "
               "helgen."),
        ("nb", "Nytt trykksår på korsbenet hos sengeliggende pasient på rom {r}. "
               "Trykkavlastende madrass var ikke bestilt."),
        ("en", "Category 2 pressure ulcer found on the sacrum during morning care; risk "
               "assessment not done on admission."),
    ),
    "deterioration": (
        ("nb", "NEWS-skår 7 kl. {t} ble ikke meldt til lege før to timer senere. Pasienten "
               "ble flyttet til intensiv."),
        ("nb", "Økende pustefrekvens og fallende metning ble ikke fulgt opp på nattevakt. "
               "Tilkalt akutteam kl. {t}."),
        ("en", "Observations were not taken for eight hours on a patient with a NEWS2 score "
               "of 5. Found drowsy at {t}; rapid response team called."),
    ),
    "sepsis": (
        ("nb", "Antibiotika ble gitt 3 timer etter at sepsismistanke var dokumentert i "
               "akuttmottaket."),
        ("en", "Sepsis screen positive at triage but blood cultures and antibiotics delayed "
               "for two hours during a busy shift."),
    ),
    "infection": (
        ("nb", "Urinveisinfeksjon hos pasient med kateter som skulle vært fjernet for tre "
               "dager siden."),
        ("nb", "Postoperativ sårinfeksjon; antibiotikaprofylakse ble gitt etter snitt."),
        ("en", "Catheter-associated urinary infection; no documented plan for catheter "
               "removal."),
    ),
    "surgery": (
        ("nb", "Sjekkliste for trygg kirurgi ble ikke gjennomgått før innledning av "
               "anestesi. Oppdaget av operasjonssykepleier."),
        ("nb", "Feil side merket før operasjon; oppdaget ved time-out og rettet."),
        ("en", "Swab count incorrect at closure; X-ray taken in theatre, swab found in the "
               "bin."),
    ),
    "documentation": (
        ("nb", "Kritisk informasjon om allergi stod ikke i kurven; pasienten opplyste om "
               "det selv før utdeling."),
        ("nb", "Epikrise sendt til feil fastlege. Rettet samme dag."),
        ("en", "Blood test results filed to the wrong patient record; noticed by the ward "
               "doctor."),
    ),
    "discharge": (
        ("nb", "Pasienten ble skrevet ut uten oppdatert legemiddelliste til hjemmetjenesten."),
        ("nb", "Overflyttet til sykehjem uten beskjed om isolasjonsbehov."),
        ("en", "Discharged late in the evening without transport arranged; returned to the "
               "emergency department the same night."),
    ),
    "device": (
        ("nb", "Sugeutstyret på rom {r} virket ikke ved kontroll. Byttet straks."),
        ("nb", "Batteriet i infusjonspumpen gikk tomt under transport."),
        ("en", "Defibrillator on the ward failed its daily check; replaced from the "
               "neighbouring ward."),
    ),
    "clinical_process": (
        ("nb", "Planlagt blodprøve ble ikke tatt, svar manglet ved visitt."),
        ("nb", "Pasienten ventet fire timer på smertelindring i akuttmottaket."),
        ("en", "Referral to the physiotherapist was not sent; mobilisation started three "
               "days late."),
    ),
    "patient_behaviour": (
        ("nb", "Pasient forlot avdelingen uten å si fra og ble funnet ved hovedinngangen "
               "kl. {t}."),
        ("nb", "Urolig pasient rev ut venekanylen og blødde; ny kanyle lagt."),
        ("en", "Agitated patient threw a cup of hot tea at a fellow patient; no burns."),
    ),
    "blood": (
        ("nb", "Blodpose hentet for feil pasient; oppdaget ved kontroll ved sengen."),
        ("en", "Transfusion started without the second identity check; stopped and "
               "checked, correct unit."),
    ),
    "nutrition": (
        ("nb", "Pasient med svelgvansker fikk servert vanlig kost. Oppdaget før måltidet."),
        ("nb", "Vektnedgang på 4 kg på en måned ble ikke fanget opp av "
               "ernæringskartleggingen."),
        ("en", "Patient on nil by mouth was given breakfast by mistake; surgery postponed."),
    ),
    "infrastructure": (
        ("nb", "Journalsystemet var nede i to timer kl. {t}; legemiddelkurven var ikke "
               "tilgjengelig."),
        ("nb", "Pasientvarslingsanlegget på rom {r} virket ikke."),
        ("en", "Water leak in the corridor; wet floor without warning signs."),
    ),
    "staff_violence": (
        ("nb", "Ansatt ble slått i ansiktet av pasient under stell kl. {t}."),
        ("nb", "Pårørende truet ansatt verbalt ved vaktrommet. Vekter tilkalt."),
        ("en", "Staff member kicked by a confused patient during night care; bruised "
               "shin."),
    ),
    "staff_injury": (
        ("nb", "Ansatt fikk vondt i ryggen ved forflytning av pasient uten løftehjelpemiddel."),
        ("en", "Nurse slipped on a wet floor in the sluice room and sprained a wrist."),
    ),
    "staff_needlestick": (
        ("nb", "Stikkskade med brukt kanyle ved rydding etter prosedyre. Fulgt opp etter "
               "rutine."),
        ("en", "Needle-stick injury from a needle left on the bed sheet; occupational health "
               "informed."),
    ),
}
MEDICINES = ("Paracetamol", "Metoprolol", "Enoksaparin", "Insulin", "Morfin", "Furosemid",
             "Warfarin", "Apixaban", "Oksykodon", "Levotyroksin")
FEEDBACK = {
    "nb": ("Takk for meldingen. Vi har gått gjennom hendelsen i avdelingen og tatt den opp på "
           "personalmøtet. {what}",
           "Takk for at du meldte. Hendelsen er vurdert og brukes i opplæringen. {what}"),
    "en": ("Thank you for reporting. We reviewed the event with the team at the safety "
           "huddle. {what}",
           "Thank you. The event has been reviewed and is used in training. {what}"),
}
WHAT_CHANGED = {
    "nb": {"fall": "Fallrisiko vurderes nå ved innleggelse, og sengealarm brukes oftere.",
           "medication": "Dobbeltkontroll av høyrisikolegemidler er innskjerpet.",
           "pressure_ulcer": "Snuplan og trykkavlastning følges opp på hver vakt.",
           "default": "Rutinen er gjennomgått med alle som jobber her."},
    "en": {"fall": "Fall risk is now assessed on admission and bed alarms are used more.",
           "medication": "The double check of high-risk medicines has been tightened.",
           "pressure_ulcer": "Turning plans and pressure relief are checked every shift.",
           "default": "The routine has been gone through with everyone on the ward."},
}
SUMMARY = {
    "nb": "Gjennomgangen viste at {cause}. Tiltak er satt inn og følges opp av avdelingsleder.",
    "en": "The review found that {cause}. Actions were put in place and are followed up by "
          "the ward manager.",
}
CAUSES = {
    "nb": ("rutinen var uklar for nyansatte", "bemanningen var lav denne vakten",
           "informasjonen ble ikke gitt videre ved vaktskiftet",
           "utstyret var vanskelig å bruke"),
    "en": ("the routine was unclear to new staff", "staffing was short that shift",
           "the information was not passed on at handover", "the equipment was hard to use"),
}
REJECT_REASON = "Ikke en uønsket hendelse for pasient eller ansatt: meldt videre som avvik."


