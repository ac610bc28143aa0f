"""Data: the words practitioners in gender-equity work use for the same thing, by concept.

A text that uses any of a concept's words also gets the concept as a feature, so "the imam" and "the
pastor's sermon" are alike to the LSA grouping, which knows only words. Entries are word beginnings
(matched at the start of a lower-case word, accents removed). Extend it for your programme's
languages and domains: a concept is a plain name and a list of beginnings.

Written with the domain in mind, not from any exchange; the tests' hand-labelled set was written by
the same hand, so its agreement with the grouping is an optimistic figure (see docs/synthesis.md).
"""

from __future__ import annotations

CONCEPTS: dict[str, tuple[str, ...]] = {
    "faith": ("imam", "pastor", "priest", "church", "mosque", "sermon", "relig", "faith", "clergy", "bishop",
              "parish", "sheikh", "quran", "bible", "pray", "madrasa", "chaplain", "interfaith", "temple",
              "congregation", "nikah", "worship", "spiritual"),
    "men": ("men", "man", "male", "husband", "father", "masculin", "boys", "brother", "son", "sons", "patriarch",
            "paternity", "perpetrator", "allies", "ally", "barbershop"),
    "elders": ("mother-in-law", "mothers-in-law", "in-law", "grandmother", "older", "elder", "matriarch", "aunt",
               "widow", "intergeneration", "clan", "daughter-in-law", "daughters-in-law", "grandchild"),
    "education": ("school", "teacher", "class", "student", "pupil", "exam", "scholarship", "educat", "learn",
                  "literacy", "read", "homework", "principal", "head teacher", "tutor", "university", "dropout",
                  "sanitary", "menstrua", "latrine"),
    "livelihoods": ("saving", "loan", "income", "money", "cash", "cooperative", "market", "business", "credit",
                    "microfinanc", "bank", "profit", "wage", "earn", "trader", "entrepreneur", "budget", "sell",
                    "buyer", "economic", "financ", "livestock", "poultry", "bakery", "tailor", "shop"),
    "marriage": ("marri", "marry", "bride", "wedding", "dowry", "betroth", "engagement", "groom", "underage",
                 "child bride", "early marriage", "registrar", "minor", "adolescent"),
    "governance": ("council", "elect", "vote", "candidate", "assembly", "committee", "mayor", "seat", "quota",
                   "caucus", "politic", "governance", "municipal", "ward", "campaign", "chair", "representation",
                   "lobby", "policy", "leadership", "decision"),
    "funding": ("donor", "fund", "grant", "funder", "report", "logframe", "overhead", "budget line", "proposal",
                "due diligence", "intermediar", "unrestricted", "restricted", "multi-year", "core"),
    "violence": ("violen", "abuse", "abuser", "survivor", "shelter", "safe house", "police", "hotline", "rape",
                 "beat", "assault", "protection order", "court", "paralegal", "harass", "gbv", "counsell",
                 "referral", "injur", "magistrate"),
    "health": ("health", "clinic", "nurse", "hospital", "antenatal", "maternal", "contracept", "pregnan",
               "midwi", "hiv", "doctor", "medical", "family planning"),
    "land": ("land", "inherit", "property", "plot", "title deed", "tenure", "farm", "field", "harvest", "seed"),
    "youth": ("youth", "young", "teen", "adolescen", "girls' club", "sports", "football", "student"),
    "care": ("chore", "cook", "childcare", "care work", "household work", "water", "firewood", "unpaid"),
    "media": ("radio", "television", "newspaper", "drama", "social media", "online", "phone", "sms", "podcast"),
    "law": ("law", "legal", "by-law", "policy", "ministry", "rights", "justice", "lawyer", "convict"),
    "disability": ("disab", "wheelchair", "deaf", "blind", "impair", "accessib"),
    "climate": ("drought", "flood", "climate", "rain", "crop", "forest", "environment"),
    "migration": ("migra", "refugee", "displace", "border", "abroad", "remittance"),
}
