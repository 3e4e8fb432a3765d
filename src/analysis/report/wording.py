"""Every fixed word the reports show, in English and Hindi, and how numbers and dates are written.

Charts, notebooks and the CLI take their labels and sentences from here, so ``lang="hi"`` gives a
report whose titles, labels, annotations and findings are all in Hindi.
"""

from __future__ import annotations

import pandas as pd

from analysis.core.times import DEFAULT_TZ

LANGS = ("en", "hi")

#: Every fixed text the charts draw, per language. Templates use ``str.format`` fields.
LABELS: dict[str, dict[str, object]] = {
    "en": {
        "source": "Source",
        "data_as_of": "Data as of {date}",
        "order_issued": "Order issued",
        "blocked": "Blocked",
        "restored": "Restored",
        "reblocked": "Re-blocked",
        "deadline": "Deadline",
        "deadline_value": "Deadline: {value}",
        "items": "Items named in orders",
        "orders": "Orders issued",
        "partial_period": "Partial period",
        "partial_year": "Partial year",
        "context_title": "Items blocked under IT Act s.69A, per year",
        "scope_all_intermediaries": "All platforms",
        "scope_twitter": "Twitter",
        "hours_since_order": "Hours since the order",
        "days_since_order": "Days since the order",
        "share_not_actioned": "Share not yet actioned",
        "confidence_band": "95% confidence band",
        "censored": "Still waiting at data date (censored)",
        "withheld": "Withheld",
        "still_withheld": "Still withheld at data date",
        "same_day": "same day",
        "duration_hours": "{n} h",
        "duration_days": "{n} days",
        "duration_one_day": "1 day",
        "n_items_lane": "{n} items (order {order})",
        "n_items_lane_no_order": "{n} items",
        "lanes_truncated": "Showing {shown} of {total} rows",
        "no_data": "No data",
        "continues": "Curves continue flat to {value} (data date)",
        "months": [
            "Jan",
            "Feb",
            "Mar",
            "Apr",
            "May",
            "Jun",
            "Jul",
            "Aug",
            "Sep",
            "Oct",
            "Nov",
            "Dec",
        ],
    },
    "hi": {
        "source": "स्रोत",
        "data_as_of": "आँकड़े {date} तक",
        "order_issued": "आदेश जारी",
        "blocked": "रोका गया",
        "restored": "बहाल",
        "reblocked": "फिर से रोका गया",
        "deadline": "समय-सीमा",
        "deadline_value": "समय-सीमा: {value}",
        "items": "आदेशों में दर्ज आइटम",
        "orders": "जारी आदेश",
        "partial_period": "अधूरी अवधि",
        "partial_year": "अधूरा वर्ष",
        "context_title": "आईटी अधिनियम धारा 69A के तहत हर साल रोके गए आइटम",
        "scope_all_intermediaries": "सभी प्लेटफ़ॉर्म",
        "scope_twitter": "ट्विटर",
        "hours_since_order": "आदेश के बाद घंटे",
        "days_since_order": "आदेश के बाद दिन",
        "share_not_actioned": "जिन पर अभी कार्रवाई नहीं हुई",
        "confidence_band": "95% विश्वास अंतराल",
        "censored": "आँकड़ों की तारीख़ तक कार्रवाई बाकी",
        "withheld": "रोका हुआ",
        "still_withheld": "आँकड़ों की तारीख़ तक रोका हुआ",
        "same_day": "उसी दिन",
        "duration_hours": "{n} घंटे",
        "duration_days": "{n} दिन",
        "duration_one_day": "1 दिन",
        "n_items_lane": "{n} आइटम (आदेश {order})",
        "n_items_lane_no_order": "{n} आइटम",
        "lanes_truncated": "{total} में से {shown} पंक्तियाँ दिखाई गई हैं",
        "no_data": "कोई आँकड़ा नहीं",
        "continues": "वक्र आँकड़ों की तारीख़ ({value}) तक ऐसे ही रहते हैं",
        "months": [
            "जनवरी",
            "फ़रवरी",
            "मार्च",
            "अप्रैल",
            "मई",
            "जून",
            "जुलाई",
            "अगस्त",
            "सितंबर",
            "अक्तूबर",
            "नवंबर",
            "दिसंबर",
        ],
    },
}


def labels_for(lang: str) -> dict[str, object]:
    """Every fixed text in ``lang``; a ``ValueError`` names the languages there are."""
    try:
        return LABELS[lang]
    except KeyError:
        raise ValueError(f"lang must be one of {', '.join(LABELS)}; got {lang!r}") from None


def label(key: str, lang: str = "en", **fields) -> str:
    """The fixed text ``key`` in ``lang``, with ``fields`` filled in."""
    text = labels_for(lang)[key]
    return str(text).format(**fields) if fields else str(text)


def fmt_date_short(ts: pd.Timestamp, lang: str, *, year: bool = True) -> str:
    months = labels_for(lang)["months"]
    text = f"{ts.day} {months[ts.month - 1]}"
    return f"{text} {ts.year}" if year else text


#: Sentences the reports quote, per language. ``str.format`` fields; numbers arrive formatted.
PHRASES: dict[str, dict[str, str]] = {
    "en": {
        "volume_headline": (
            "{orders} orders named {items} items between {first} and {last}; the busiest period "
            "was {busiest} with {busiest_items} items."
        ),
        "volume_title": "Most items were ordered blocked in {busiest}: {busiest_items}",
        "volume_none": "No orders match these parameters.",
        "volume_unknown": (
            "Orders that state no item count and name no items: {n}. They count as orders, "
            "not as items."
        ),
        "volume_method": "items as stated in each order, else the items it names",
        "lag_sentence": "Order {order} ({issued}): {actioned} of {items} items ({share}) "
        "actioned by {as_of}",
        "lag_censored": "; no action recorded for {censored} (censored)",
        "lag_outcomes": "; outcomes: {outcomes}",
        "outcome_withheld": "{n} withheld in {country}",
        "outcome_withheld_any": "{n} withheld",
        "outcome_suspended": "{n} suspended",
        "outcome_gone": "{n} gone (not found: cause unknown)",
        "outcome_restored": "{n} restored later",
        "lag_median": "; median time to action {median}",
        "lag_median_range": "; median time to action between {earliest} and {latest}",
        "lag_median_within": "; median time to action within {latest}",
        "lag_median_at_least": "; median time to action at least {earliest}",
        "lag_no_median": "; median time to action not reached (fewer than half actioned)",
        "lag_first_check": (
            "; every action was already there when the items were first checked ({checked}), so "
            "when the platform acted is not known and no time to action is given"
        ),
        "lag_title": "{share} of the {items} items ordered on {issued} were actioned by {as_of}",
        "lag_title_first_check": (
            "{actioned} of the {items} items ordered on {issued} had been acted on when checked "
            "on {checked}"
        ),
        "lag_method": "Kaplan-Meier; {censored} items still unactioned are censored",
        "lag_timing": (
            "; times of {exact} actions known, {bounded} known only between two checks, "
            "{first} already so at the first check (ranges shown, never midpoints)"
        ),
        "lag_acted": "acting on an order means: {acted}",
        "lag_none": "No order has items to measure.",
        "reversal_sentence": "Order {order}: {withheld} items withheld, {reversed} restored",
        "reversal_median": " (median time to restore: {median})",
        "reversal_reblocked": ", {reblocked} blocked again",
        "reversal_title": (
            "{reversed} blocked items were restored; median time to restore: {median}"
        ),
        "reversal_none": "No block in these data was reversed.",
        "reversal_method": "withheld -> restored episodes; aggregate reports matched by count",
        "no_order": "no order",
        "n_equals": "N = {n}",
        "not_reached": "not reached",
        "same_day": "the same day",
        "one_day": "1 day",
        "days": "{n} days",
        "hours": "{n} hours",
        "source_default": "Public reporting compiled in data/raw (every row cites its URL)",
        "peers_headline": (
            "{country} ranked {rank} of {n} countries by {measure} in the period to {period}"
        ),
        "peers_method": (
            "{platform} transparency report: {measure} per period, summed over requestors"
        ),
        "peers_source": "{platform} transparency report, as declared in data/raw/sources.toml",
        "peers_overlap": (
            "; {n} country-periods appear in two report files: only the newer file's figures "
            "are summed"
        ),
        "measure_requests": "requests",
        "measure_items_requested": "items requested",
        "measure_items_withheld": "items withheld",
        "measure_accounts_withheld": "accounts withheld",
        "index_title": "Takedown orders: reports",
        "run_on": "Run on",
        "data_as_of": "Data as of {date}",
        "failed": "Failed",
        "failed_at": "Failed at cell {n}",
        "rendered_by": "Rendered by takedown-analysis {version}.",
    },
    "hi": {
        "volume_headline": (
            "{first} से {last} के बीच {orders} आदेशों में {items} आइटम दर्ज थे; सबसे ज़्यादा "
            "{busiest} में: {busiest_items} आइटम।"
        ),
        "volume_title": "सबसे ज़्यादा आइटम रोकने के आदेश {busiest} में: {busiest_items}",
        "volume_none": "इन मापदंडों से कोई आदेश मेल नहीं खाता।",
        "volume_unknown": (
            "ऐसे आदेश जिनमें न आइटम की संख्या दी गई है, न आइटम के नाम: {n}। ये आदेशों में गिने गए हैं, आइटम में नहीं।"
        ),
        "volume_method": "आइटम: आदेश में दी गई संख्या, वरना उसमें नामित आइटम",
        "lag_sentence": "आदेश {order} ({issued}): {as_of} तक {items} में से {actioned} आइटम "
        "({share}) पर कार्रवाई हुई",
        "lag_censored": "; {censored} पर कोई कार्रवाई दर्ज नहीं (सेंसर्ड)",
        "lag_outcomes": "; नतीजे: {outcomes}",
        "outcome_withheld": "{n} {country} में रोके गए",
        "outcome_withheld_any": "{n} रोके गए",
        "outcome_suspended": "{n} निलंबित",
        "outcome_gone": "{n} नहीं मिले (कारण अज्ञात)",
        "outcome_restored": "{n} बाद में बहाल",
        "lag_median": "; कार्रवाई में लगा मध्य समय {median}",
        "lag_median_range": "; कार्रवाई में लगा मध्य समय {earliest} से {latest} के बीच",
        "lag_median_within": "; कार्रवाई में लगा मध्य समय {latest} के भीतर",
        "lag_median_at_least": "; कार्रवाई में लगा मध्य समय कम से कम {earliest}",
        "lag_no_median": "; मध्य समय तय नहीं (आधे से कम पर कार्रवाई)",
        "lag_first_check": (
            "; पहली जाँच ({checked}) के समय ही हर कार्रवाई हो चुकी थी, इसलिए कार्रवाई कब हुई यह "
            "पता नहीं और कार्रवाई में लगा समय नहीं दिया गया"
        ),
        "lag_title": "{issued} के आदेश के {items} आइटम में से {share} पर {as_of} तक कार्रवाई",
        "lag_title_first_check": (
            "{issued} के आदेश के {items} आइटम में से {actioned} पर {checked} की जाँच तक कार्रवाई हो चुकी थी"
        ),
        "lag_method": "कापलान-मायर; बिना कार्रवाई वाले {censored} आइटम सेंसर्ड हैं",
        "lag_timing": (
            "; {exact} कार्रवाइयों का समय ज्ञात, {bounded} का केवल दो जाँचों के बीच, {first} "
            "पहली जाँच में ही (सीमाएँ दिखाई गई हैं, बीच का अनुमान नहीं)"
        ),
        "lag_acted": "आदेश पर कार्रवाई का अर्थ: {acted}",
        "lag_none": "किसी आदेश में मापने लायक आइटम नहीं हैं।",
        "reversal_sentence": "आदेश {order}: {withheld} आइटम रोके गए, {reversed} बहाल हुए",
        "reversal_median": " (बहाली में लगा मध्य समय: {median})",
        "reversal_reblocked": ", {reblocked} फिर से रोके गए",
        "reversal_title": "रोके गए {reversed} आइटम बहाल हुए; बहाली में लगा मध्य समय: {median}",
        "reversal_none": "इन आँकड़ों में कोई रोक वापस नहीं ली गई।",
        "reversal_method": "रोक -> बहाली के दौर; कुल संख्या वाली रिपोर्टें गिनती से मिलाई गईं",
        "no_order": "बिना आदेश",
        "n_equals": "कुल = {n}",
        "not_reached": "तय नहीं",
        "same_day": "उसी दिन",
        "one_day": "1 दिन",
        "days": "{n} दिन",
        "hours": "{n} घंटे",
        "source_default": "data/raw में संकलित सार्वजनिक रिपोर्टें (हर पंक्ति में स्रोत URL)",
        "peers_headline": "{period} तक की अवधि में {measure} में {n} देशों में {country} का स्थान: {rank}",
        "peers_method": "{platform} पारदर्शिता रिपोर्ट: हर अवधि में {measure}, सभी अनुरोधकर्ताओं का जोड़",
        "peers_source": "{platform} पारदर्शिता रिपोर्ट, data/raw/sources.toml के अनुसार",
        "peers_overlap": "; {n} देश-अवधियाँ दो रिपोर्ट फ़ाइलों में हैं: केवल नई फ़ाइल के आँकड़े जोड़े गए",
        "measure_requests": "अनुरोध",
        "measure_items_requested": "हटाने को कहे गए आइटम",
        "measure_items_withheld": "रोके गए आइटम",
        "measure_accounts_withheld": "रोके गए खाते",
        "index_title": "टेकडाउन आदेश: रिपोर्टें",
        "run_on": "तैयार:",
        "data_as_of": "आँकड़े {date} तक",
        "failed": "विफल",
        "failed_at": "सेल {n} पर विफल",
        "rendered_by": "takedown-analysis {version} से तैयार।",
    },
}


def phrase(key: str, lang: str = "en", **fields) -> str:
    """A report sentence in ``lang`` with ``fields`` filled in."""
    if lang not in PHRASES:
        raise ValueError(f"lang must be one of {', '.join(LANGS)}; got {lang!r}")
    return PHRASES[lang][key].format(**fields)


def fmt_int(n: float, *, approximate: bool = False) -> str:
    """1178 -> ``1,178``; approximate counts get a tilde (``~250``)."""
    return ("~" if approximate else "") + f"{int(round(n)):,}"


def fmt_share(share: float) -> str:
    return "-" if pd.isna(share) else f"{share:.0%}"


def fmt_date(ts: pd.Timestamp, lang: str = "en", tz: str = DEFAULT_TZ) -> str:
    """A UTC instant as its local calendar date: ``4 Feb 2021`` / ``4 फ़रवरी 2021``."""
    return fmt_date_short(ts.tz_convert(tz), lang)


#: Country names the Hindi pages write in Devanagari; others keep their English name.
_COUNTRIES_HI = {
    "IN": "भारत",
    "PK": "पाकिस्तान",
    "BD": "बांग्लादेश",
    "NP": "नेपाल",
    "LK": "श्रीलंका",
    "US": "अमेरिका",
    "TR": "तुर्किये",
    "RU": "रूस",
}


def fmt_country(code: str, lang: str = "en") -> str:
    """``IN`` -> ``India`` / ``भारत``; a code pycountry does not know is shown as given."""
    import pycountry  # here, not at import: the pages that need it are few

    code = str(code).strip().upper()
    if lang == "hi" and code in _COUNTRIES_HI:
        return _COUNTRIES_HI[code]
    country = pycountry.countries.get(alpha_2=code)
    if country is None:
        return code
    return getattr(country, "common_name", None) or country.name


def fmt_duration(value: float, unit: str, lang: str = "en") -> str:
    """A lag or duration in the unit the data support: whole days, or hours to one decimal."""
    if pd.isna(value):
        return phrase("not_reached", lang)
    if unit == "days":
        if value == 0:
            return phrase("same_day", lang)
        return phrase("one_day", lang) if value == 1 else phrase("days", lang, n=f"{value:g}")
    return phrase("hours", lang, n=f"{value:.1f}")


#: Page titles and introductions for reports in a language other than English (the notebooks'
#: own markdown introduction is English and is left out of those pages).
PAGES: dict[str, dict[str, tuple[str, str]]] = {
    "hi": {
        "00-overview": (
            "टेकडाउन आदेश: सार",
            "यह पन्ना साफ़ किए गए आदेश, आइटम और घटनाओं की तालिकाएँ पढ़ता है, तीनों सवालों का एक-एक "
            "वाक्य में जवाब देता है और पूरी रिपोर्टों के लिंक देता है।",
        ),
        "01-volume": (
            "टेकडाउन की मात्रा: कितने आदेश, कितने आइटम?",
            "हर अवधि में जारी आदेश और उनमें दर्ज आइटम (जहाँ आदेश में संख्या दी गई है वहाँ वही, वरना "
            "नामित आइटम), साथ में संसद को बताए गए धारा 69A के सालाना आँकड़े। चार्ट का डेटा CSV में "
            "साथ रखा गया है।",
        ),
        "02-compliance-lag": (
            "अनुपालन में देरी: प्लेटफ़ॉर्म ने हर आदेश पर कितनी जल्दी कार्रवाई की?",
            "हर आइटम के लिए आदेश से पहली रोक या निलंबन तक का समय। जिन आइटम पर आँकड़ों की तारीख़ "
            "तक कार्रवाई नहीं हुई, वे सेंसर्ड रखे गए हैं: न हटाए गए, न शून्य गिने गए। हर आदेश का "
            "सार कापलान-मायर विधि से।",
        ),
        "03-reversals": (
            "रोक और बहाली: क्या रोका गया और फिर खोला गया?",
            'हर आइटम की रोक और बहाली का क्रम ("~250 रोके गए" जैसी कुल संख्याएँ गिनती से मिलाई '
            "गईं), और हर आदेश के लिए: कितने आइटम बहाल हुए, कितनी जल्दी, और कितने फिर से रोके गए। "
            "बेतुके क्रम (रोक से पहले बहाली) छिपाए नहीं, सूची में दिखाए गए हैं।",
        ),
    }
}
