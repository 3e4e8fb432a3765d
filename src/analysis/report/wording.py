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
        "orders_rug": "Order issued (one tick each)",
        "order_label": "{order}: {n} items",
        "more_in_csv": "and {n} more in {file}",
        "the_data_file": "the chart's data file",
        "items_total": "{n} items",
        "outcome_suspended": "Suspended",
        "outcome_gone": "Gone (not found: cause unknown)",
        "outcome_none": "Nothing seen",
        "outcomes_title": "What the items of each order were found to be",
        "curves_title": "Share of items not yet acted on, by time since the order",
        "timing_band": "Range: action seen only between two checks",
        "context_withheld": "Items withheld over the whole period; letters mark the reversals",
        "items_restored": "{n} restored",
        "within_the_day": "Withheld and restored within the day (times not known)",
        "blocked_again": "blocked again {date}",
        "no_reversals": "No block in these data was reversed",
        "describe_volume": (
            "Bar chart of {measure} per period from {first} to {last}; the highest bar is {top} "
            "with {value}. Ticks under the bars mark when each of the {orders} orders was issued."
        ),
        "describe_lag": (
            "Step curves of the share of items not yet acted on, by {unit} since the order, for "
            "{curves} orders; then bars of what the items of {bars} orders were found to be: "
            "withheld, suspended, gone or nothing seen."
        ),
        "describe_lag_bars": (
            "Bars of what the items of {bars} orders were found to be: withheld, suspended, gone "
            "or nothing seen. No order has action times to measure a lag from."
        ),
        "describe_reversals": (
            "The number of items withheld over time from {first} to {last}, with {k} reversals "
            "marked; for each, bars show how long each item stayed withheld before it was "
            "restored ({lanes} items or groups shown)."
        ),
        "describe_peers": (
            "Lines of {measure} per reporting period for {n} countries, {country} highlighted."
        ),
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
        "orders_rug": "जारी आदेश (हर आदेश की एक रेखा)",
        "order_label": "{order}: {n} आइटम",
        "more_in_csv": "और {n} बाकी {file} में",
        "the_data_file": "चार्ट की डेटा फ़ाइल",
        "items_total": "{n} आइटम",
        "outcome_suspended": "निलंबित",
        "outcome_gone": "नहीं मिले (कारण अज्ञात)",
        "outcome_none": "कुछ नहीं दिखा",
        "outcomes_title": "जाँच में हर आदेश के आइटम किस हाल में मिले",
        "curves_title": "जिन आइटम पर अभी कार्रवाई नहीं हुई, आदेश के बाद के समय के हिसाब से",
        "timing_band": "सीमा: कार्रवाई दो जाँचों के बीच ही दिखी",
        "context_withheld": "पूरी अवधि में रोके गए आइटम; अक्षर नीचे दिखाई गई बहालियाँ हैं",
        "items_restored": "{n} बहाल",
        "within_the_day": "उसी दिन रोके और बहाल (समय ज्ञात नहीं)",
        "blocked_again": "{date} को फिर रोका गया",
        "no_reversals": "इन आँकड़ों में कोई रोक वापस नहीं ली गई",
        "describe_volume": (
            "{first} से {last} तक हर अवधि में {measure} का स्तंभ चार्ट; सबसे ऊँचा स्तंभ {top} का "
            "है: {value}। स्तंभों के नीचे की रेखाएँ बताती हैं कि {orders} आदेशों में से हर एक कब जारी हुआ।"
        ),
        "describe_lag": (
            "{curves} आदेशों के लिए आदेश के बाद के समय ({unit}) के साथ उन आइटम का हिस्सा जिन पर अभी "
            "कार्रवाई नहीं हुई; फिर {bars} आदेशों के आइटम किस हाल में मिले: रोके गए, निलंबित, नहीं "
            "मिले या कुछ नहीं दिखा।"
        ),
        "describe_lag_bars": (
            "{bars} आदेशों के आइटम किस हाल में मिले: रोके गए, निलंबित, नहीं मिले या कुछ नहीं दिखा। "
            "किसी आदेश में कार्रवाई का समय ज्ञात नहीं, इसलिए देरी नहीं मापी गई।"
        ),
        "describe_reversals": (
            "{first} से {last} तक रोके गए आइटम की संख्या, {k} बहालियाँ चिह्नित; हर बहाली के लिए स्तंभ "
            "दिखाते हैं कि हर आइटम बहाल होने से पहले कितनी देर रोका रहा ({lanes} आइटम या समूह दिखाए गए)।"
        ),
        "describe_peers": ("हर रिपोर्ट अवधि में {n} देशों के {measure} की रेखाएँ, {country} उभारा गया।"),
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
        "lag_chart_title": "Half the {items} items of order {order} were acted on {within}",
        "lag_chart_within": "within {median}",
        "lag_chart_not_reached": (
            "In none of the {n} orders with known action times were half the items acted on"
        ),
        "lag_chart_checked": (
            "All {n} orders were checked only after the fact: when the platform acted is not known"
        ),
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
        "get_the_data": "Get the data",
        "more_findings": "{n} more, one sentence each",
        "table_rows": "{n} rows",
        "table_empty": "Nothing to list.",
        "table_folded": "{caption}: all {n} rows",
        "table_volume": "Orders and items per period",
        "table_lag": "Each order: what was acted on, and how fast",
        "table_reversals": "Each order: items restored, and blocked again",
        "table_anomalies": "Sequences that make no sense, as recorded",
        "cell_acted_by": "acted on by {date} (checked once)",
        "cell_within": "within {latest}",
        "cell_between": "between {earliest} and {latest}",
        "cell_at_least": "at least {earliest}",
        "basis_listed": "as stated",
        "basis_named": "named items",
        "basis_mixed": "both",
        "how_made": "How this was made",
        "how_method": "Method",
        "how_definitions": (
            "Every definition is explained in docs/methodology.md, in the project's repository; "
            "every row of the data cites its source."
        ),
        "how_parameters": "Parameters",
        "how_inputs": "Input files",
        "how_file": "File",
        "how_kind": "Kind",
        "how_read": "Rows read",
        "how_kept": "Kept",
        "how_rejected": "Rejected",
        "how_sha": "SHA-256 (first 12)",
        "how_software": "Software",
        "how_version": "takedown-analysis {version}.",
        "how_run": "Processed data: run {run}.",
        "how_blank": "(blank)",
        "yes": "yes",
        "no": "no",
        "overview_links": "The three questions",
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
        "lag_chart_title": "आदेश {order} के {items} आइटम में से आधों पर {within} कार्रवाई हुई",
        "lag_chart_within": "{median} के भीतर",
        "lag_chart_not_reached": (
            "कार्रवाई के ज्ञात समय वाले {n} आदेशों में से किसी में आधे आइटम पर कार्रवाई नहीं हुई"
        ),
        "lag_chart_checked": ("सभी {n} आदेश बाद में ही जाँचे गए: प्लेटफ़ॉर्म ने कब कार्रवाई की, यह पता नहीं"),
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
        "get_the_data": "डेटा लें",
        "more_findings": "{n} और, हर एक का एक वाक्य",
        "table_rows": "{n} पंक्तियाँ",
        "table_empty": "दिखाने को कुछ नहीं।",
        "table_folded": "{caption}: सभी {n} पंक्तियाँ",
        "table_volume": "हर अवधि में आदेश और आइटम",
        "table_lag": "हर आदेश: किन पर कार्रवाई हुई, और कितनी जल्दी",
        "table_reversals": "हर आदेश: बहाल आइटम, और फिर से रोके गए",
        "table_anomalies": "बेतुके क्रम, जैसे दर्ज हुए",
        "cell_acted_by": "{date} तक कार्रवाई (एक बार जाँचा)",
        "cell_within": "{latest} के भीतर",
        "cell_between": "{earliest} से {latest} के बीच",
        "cell_at_least": "कम से कम {earliest}",
        "basis_listed": "आदेश में दी गई संख्या",
        "basis_named": "नामित आइटम",
        "basis_mixed": "दोनों",
        "how_made": "यह कैसे बना",
        "how_method": "तरीका",
        "how_definitions": (
            "हर परिभाषा परियोजना के रिपॉज़िटरी में docs/methodology.md में समझाई गई है; आँकड़ों की "
            "हर पंक्ति अपना स्रोत बताती है।"
        ),
        "how_parameters": "मापदंड",
        "how_inputs": "मूल फ़ाइलें",
        "how_file": "फ़ाइल",
        "how_kind": "प्रकार",
        "how_read": "पढ़ी गई पंक्तियाँ",
        "how_kept": "रखी गईं",
        "how_rejected": "अस्वीकृत",
        "how_sha": "SHA-256 (पहले 12)",
        "how_software": "सॉफ़्टवेयर",
        "how_version": "takedown-analysis {version}।",
        "how_run": "प्रोसेस किया गया डेटा: रन {run}।",
        "how_blank": "(खाली)",
        "yes": "हाँ",
        "no": "नहीं",
        "overview_links": "तीन सवाल",
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


#: Page titles and the one or two sentences of context under each page's headline, per language.
PAGES: dict[str, dict[str, tuple[str, str]]] = {
    "en": {
        "00-overview": (
            "Takedown orders: the findings",
            "The Indian government orders Twitter to block accounts and posts under section 69A of "
            "the IT Act. These pages count the orders, measure how fast the platform acted on "
            "them, and follow what was blocked and later restored, from public records.",
        ),
        "01-volume": (
            "Takedown volume: how many orders, naming how many items?",
            "How many blocking orders were issued, and how many accounts and posts they named, "
            "period by period. Where an order states how many items it covers, that number "
            "counts; otherwise the items it names.",
        ),
        "02-compliance-lag": (
            "Compliance lag: how fast did the platform act on each order?",
            "How long after each order the platform withheld or suspended the items it named. "
            "Items with no action by the data date count as still waiting; where an action was "
            "only seen at a later check, its time is a range, never a guess.",
        ),
        "03-reversals": (
            "Reversals: what was blocked and then unblocked?",
            "Which blocked accounts and posts were restored, how soon, and which were blocked "
            "again. Short episodes are shown hour by hour; records that make no sense are listed, "
            "not hidden.",
        ),
    },
    "hi": {
        "00-overview": (
            "टेकडाउन आदेश: निष्कर्ष",
            "भारत सरकार आईटी अधिनियम की धारा 69A के तहत ट्विटर को खाते और पोस्ट रोकने के आदेश देती "
            "है। ये पन्ने सार्वजनिक रिकॉर्ड से आदेश गिनते हैं, मापते हैं कि प्लेटफ़ॉर्म ने कितनी जल्दी "
            "कार्रवाई की, और बताते हैं कि क्या रोका गया और बाद में बहाल हुआ।",
        ),
        "01-volume": (
            "टेकडाउन की मात्रा: कितने आदेश, कितने आइटम?",
            "हर अवधि में कितने रोक के आदेश जारी हुए और उनमें कितने खाते और पोस्ट दर्ज थे। जहाँ आदेश "
            "में संख्या दी गई है वहाँ वही गिनी गई, वरना उसमें नामित आइटम।",
        ),
        "02-compliance-lag": (
            "अनुपालन में देरी: प्लेटफ़ॉर्म ने हर आदेश पर कितनी जल्दी कार्रवाई की?",
            "हर आदेश के बाद प्लेटफ़ॉर्म ने उसमें दर्ज आइटम कितनी देर में रोके या निलंबित किए। जिन पर "
            "आँकड़ों की तारीख़ तक कार्रवाई नहीं हुई वे अभी बाकी गिने गए; जो कार्रवाई बाद की जाँच में "
            "ही दिखी, उसका समय एक सीमा है, अनुमान नहीं।",
        ),
        "03-reversals": (
            "रोक और बहाली: क्या रोका गया और फिर खोला गया?",
            "कौन से रोके गए खाते और पोस्ट बहाल हुए, कितनी जल्दी, और कौन से फिर रोके गए। छोटे दौर "
            "घंटे-दर-घंटे दिखाए गए हैं; बेतुके रिकॉर्ड छिपाए नहीं, सूची में दिखाए गए हैं।",
        ),
    },
}

#: What each page measured and how, in a few sentences, for its "How this was made" section.
METHODS: dict[str, dict[str, str]] = {
    "en": {
        "00-overview": (
            "The three questions answered on the pages linked above, each in one sentence; "
            "each page says how its numbers were computed."
        ),
        "01-volume": (
            "Orders are counted in the period they were issued (local time). Items are the number "
            "an order states where it states one, else the distinct accounts, posts and links it "
            "names; an order with neither counts as an order, not as items."
        ),
        "02-compliance-lag": (
            "For every item an order names, the lag is the time from the order to the first time "
            "the item was seen withheld in the ordering country or suspended (the outcomes that "
            "count as acting are a parameter); an item deleted or not found is shown apart, "
            "never counted as compliance. Items with no action by the data date are "
            "right-censored, and each order is summarised with the Kaplan-Meier estimator. Where "
            "an action is known only between two checks, the estimate is given for the earliest "
            "and the latest possible times."
        ),
        "03-reversals": (
            "Each item's events are put in time order: a restoration after a block is a reversal, "
            "and the time between them its duration; a block after a restoration is a re-block. "
            'Reports that give only counts ("~250 withheld") are matched by count.'
        ),
    },
    "hi": {
        "00-overview": (
            "ऊपर दिए पन्नों पर तीनों सवालों के जवाब, एक-एक वाक्य में; हर पन्ना बताता है कि उसकी "
            "संख्याएँ कैसे निकलीं।"
        ),
        "01-volume": (
            "आदेश उस अवधि में गिने गए जिसमें वे जारी हुए (स्थानीय समय)। आइटम वह संख्या है जो आदेश में "
            "दी गई है, वरना उसमें नामित अलग-अलग खाते, पोस्ट और लिंक; जिस आदेश में दोनों नहीं, वह आदेश "
            "में गिना गया, आइटम में नहीं।"
        ),
        "02-compliance-lag": (
            "आदेश में दर्ज हर आइटम के लिए देरी आदेश से उस पहले समय तक है जब आइटम आदेश देने वाले देश "
            "में रोका हुआ या निलंबित दिखा (कौन से नतीजे कार्रवाई गिने जाएँ, यह एक मापदंड है); हटाया "
            "गया या न मिला आइटम अलग दिखाया गया, अनुपालन नहीं गिना गया। जिन पर आँकड़ों की तारीख़ तक "
            "कार्रवाई नहीं हुई वे सेंसर्ड हैं, और हर आदेश का सार कापलान-मायर विधि से है। जो कार्रवाई "
            "दो जाँचों के बीच ही पता है, उसका अनुमान सबसे पहले और सबसे बाद के संभव समय, दोनों के लिए "
            "दिया गया है।"
        ),
        "03-reversals": (
            "हर आइटम की घटनाएँ समय के क्रम में रखी गईं: रोक के बाद बहाली एक वापसी है और उनके बीच का "
            'समय उसकी अवधि; बहाली के बाद रोक फिर से रोक है। केवल संख्या देने वाली रिपोर्टें ("~250 '
            'रोके गए") गिनती से मिलाई गईं।'
        ),
    },
}

#: Table headers per language.
COLUMNS: dict[str, dict[str, str]] = {
    "en": {
        "order_id": "Order",
        "issued_at": "Issued",
        "items": "Items named",
        "actioned": "Acted on",
        "share_actioned": "Share acted on",
        "censored": "No action seen",
        "withheld": "Withheld",
        "suspended": "Suspended",
        "gone": "Gone (not found)",
        "no_outcome": "Nothing seen",
        "restored": "Restored later",
        "km_median": "Median time to action",
        "share_within_deadline": "Acted on within the deadline",
        "items_withheld": "Items withheld",
        "items_reversed": "Items restored",
        "median_time_to_reversal": "Median time to restore",
        "reblocked": "Blocked again",
        "period": "Period",
        "orders": "Orders",
        "items_basis": "Items counted from",
        "cumulative_items": "Items so far",
        "item_id": "Item",
        "event": "Event",
        "at": "Date",
        "source_file": "File",
        "source_row": "Row",
        "reason": "What is wrong",
    },
    "hi": {
        "order_id": "आदेश",
        "issued_at": "जारी",
        "items": "दर्ज आइटम",
        "actioned": "कार्रवाई हुई",
        "share_actioned": "कार्रवाई का हिस्सा",
        "censored": "कार्रवाई नहीं दिखी",
        "withheld": "रोके गए",
        "suspended": "निलंबित",
        "gone": "नहीं मिले",
        "no_outcome": "कुछ नहीं दिखा",
        "restored": "बाद में बहाल",
        "km_median": "कार्रवाई में लगा मध्य समय",
        "share_within_deadline": "समय-सीमा में कार्रवाई",
        "items_withheld": "रोके गए आइटम",
        "items_reversed": "बहाल आइटम",
        "median_time_to_reversal": "बहाली का मध्य समय",
        "reblocked": "फिर रोके गए",
        "period": "अवधि",
        "orders": "आदेश",
        "items_basis": "आइटम की गिनती",
        "cumulative_items": "अब तक के आइटम",
        "item_id": "आइटम",
        "event": "घटना",
        "at": "तारीख़",
        "source_file": "फ़ाइल",
        "source_row": "पंक्ति",
        "reason": "क्या गलत है",
    },
}
