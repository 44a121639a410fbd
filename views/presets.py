"""The preset library: every example of the reference, to browse, open in the playground, or run here
beside its documented result; and the user's own presets, saved, exported and imported. Widgets and
layout only: the presets, the runs and the comparison live in ``structured_output``."""

import streamlit as st

from components import preset_views
from structured_output.display import md_escape
from structured_output.presets import sections

st.markdown("### :material/library_books: Presets")
st.caption("Each preset reproduces one example of the structured-output reference, with one tab for each client "
           "form the reference gives it in (Python, Node.js, curl, DashScope, Java). **Open in playground** loads a "
           "form into the editors; **Run here** runs it offline on the local engine, through that form's protocol, "
           "and sets the live result beside the documented one, with the differences marked.")

presets, load_errors = preset_views.all_presets()
tab_library, tab_mine = st.tabs([":material/menu_book: Library", ":material/bookmarks: Save · export · import"])

with tab_library:
    shown = preset_views.filters(presets)
    mine = sum(p.origin == "user" for p in presets)
    forms = sum(len(p.variants()) for p in shown)
    st.caption(f"{len(shown)} of {len(presets)} presets" + (f" ({mine} of them yours)" if mine else "") +
               f" · {forms} client form{'s' if forms != 1 else ''}")
    if not shown:
        st.info("No preset matches. Clear the search or pick all modes and sections.", icon=":material/search_off:")
    for section in sections(shown):
        st.markdown(f"#### {md_escape(section)}")
        for preset in shown:
            if preset.section == section:
                preset_views.preset_card(preset)
    preset_views.pointers(shown)

with tab_mine:
    preset_views.notices()
    for err in load_errors:
        st.warning(f"One of your preset files cannot be loaded: {md_escape(err)}", icon=":material/warning:")
    st.markdown("#### Save the playground as a preset")
    preset_views.save_form()
    st.markdown("#### Export")
    preset_views.export_form(presets)
    st.markdown("#### Import")
    preset_views.import_form()
