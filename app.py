"""Entry point: page config, the explicitly registered pages, and the sidebar every page shares.

Run it with ``bash scripts/run.sh`` (or ``streamlit run app.py``). With ``st.navigation`` Streamlit
does not auto-discover ``pages/``; a new page is added to ``PAGES`` below.
"""

import streamlit as st

from components import connection, state

st.set_page_config(page_title="Structured Output Playground", page_icon=":material/data_object:", layout="wide")
# Streamlit's default page margins are sized for reading prose; at 1280x800 the three result panels
# need the width more.
st.html("<style>.block-container{padding-top:3.6rem;padding-left:2.5rem;padding-right:2.5rem;}</style>")
state.init_defaults()

PAGES = [
    st.Page("pages/playground.py", title="Playground", icon=":material/science:", default=True),
    st.Page("pages/presets.py", title="Presets", icon=":material/library_books:"),
    st.Page("pages/compare.py", title="Compare", icon=":material/compare_arrows:"),
    st.Page("pages/batch.py", title="Batch", icon=":material/table_rows:"),
]

page = st.navigation(PAGES)
connection.sidebar()
page.run()
