"""Entry point: page config, the explicitly registered pages, and the sidebar every page shares.

Run it with ``bash scripts/run.sh`` (or ``streamlit run app.py``). The pages live in ``views/``, not
``pages/``: Streamlit still runs a ``pages/`` file directly on the first visit to its URL after a server
start, before ``app.py`` has set the session defaults. A new page is added to ``PAGES`` below.
"""

import streamlit as st

from components import connection, share_panel, state

st.set_page_config(page_title="Structured Output Playground", page_icon=":material/data_object:", layout="wide")
# Streamlit's default page margins are sized for reading prose; at 1280x800 the three result panels
# need the width more.
# Streamlit's "Deploy" button is for publishing to its cloud, not for this local tool.
st.html("<style>.block-container{padding-top:2.6rem;padding-left:2.5rem;padding-right:2.5rem;}"
        "[data-testid='stAppDeployButton']{display:none;}</style>")
state.init_defaults()
share_panel.open_from_link()  # a shared ?run= link fills the state before any widget (the sidebar's too) renders

PAGES = [
    st.Page("views/playground.py", title="Playground", icon=":material/science:", default=True),
    st.Page("views/presets.py", title="Presets", icon=":material/library_books:"),
    st.Page("views/compare.py", title="Compare", icon=":material/compare_arrows:"),
    st.Page("views/batch.py", title="Batch", icon=":material/table_rows:"),
]

page = st.navigation(PAGES)
connection.sidebar()
page.run()
