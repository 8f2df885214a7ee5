"""Safety checks shared by training and serving: text normalisation, triage of the patient's words
(clinical rules with ConText), reply checks, scope rules and the PHI guard."""
