"""Getting data from the APIs: Lumen notices (``takedowns fetch lumen``) and X lookups of the
items that orders name (``takedowns watch``).

Each response is saved into ``data/raw/`` exactly as the API sent it, as a new file that is never
changed afterwards; the analysis reads those files offline, like any other raw file
(docs/refresh.md). ``http`` is the one room that talks to the network; ``saved`` writes the
files and the run logs; ``lumen`` and ``x`` know their API.
"""
