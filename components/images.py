"""Image input: upload PNG / JPEG / WebP (decoded and checked before they are kept) or give a URL."""

from __future__ import annotations

import streamlit as st

from components import state
from structured_output.display import md_escape
from structured_output.images import UPLOAD_EXTENSIONS, ImageRejected, limit_text, read_upload, read_url, size_text
from structured_output.request import MAX_IMAGE_BYTES


def _uploader_key() -> str:
    return f"req.uploader{st.session_state[state.UPLOADER_VERSION]}"


def _take_uploads() -> None:
    """Uploader callback: keep the good files, say why the others were refused, then clear the uploader."""
    ss = st.session_state
    files = ss.get(_uploader_key()) or []
    notices: list[str] = []
    for f in files:
        try:
            ss[state.IMAGES] = [*ss[state.IMAGES], read_upload(f.getvalue(), f.name)]
        except ImageRejected as e:
            notices.append(str(e))
    ss[state.IMAGE_NOTICES] = notices
    ss[state.UPLOADER_VERSION] += 1


def _add_url() -> None:
    ss = st.session_state
    try:
        ss[state.IMAGES] = [*ss[state.IMAGES], read_url(ss[state.IMAGE_URL])]
        ss[state.IMAGE_URL] = ""
        ss[state.IMAGE_NOTICES] = []
    except ImageRejected as e:
        ss[state.IMAGE_NOTICES] = [str(e)]


def _remove(index: int) -> None:
    images = list(st.session_state[state.IMAGES])
    if 0 <= index < len(images):
        images.pop(index)
    st.session_state[state.IMAGES] = images


def image_input() -> None:
    """The images of the request, with previews and a remove button each."""
    st.file_uploader(f"Upload images (PNG, JPEG or WebP, up to {limit_text()} each)", type=list(UPLOAD_EXTENSIONS),
                     accept_multiple_files=True, key=_uploader_key(), on_change=_take_uploads,
                     max_upload_size=MAX_IMAGE_BYTES // (1024 * 1024))
    col1, col2 = st.columns([4, 1], vertical_alignment="bottom")
    col1.text_input("…or an image URL", key=state.IMAGE_URL, placeholder="https://example.com/receipt.jpg")
    col2.button("Add", on_click=_add_url, key="req.image_url_add", width="stretch")
    for notice in st.session_state[state.IMAGE_NOTICES]:
        st.error(md_escape(notice), icon=":material/broken_image:")
    images = st.session_state[state.IMAGES]
    if not images:
        return
    cols = st.columns(min(4, len(images)))
    for i, img in enumerate(images):
        with cols[i % len(cols)]:
            if img.data is not None:
                st.image(img.data, width=160)
                st.caption(f"{md_escape(img.name or 'image')} · {size_text(len(img.data))}")
            else:
                st.caption(f":material/link: {md_escape(img.url or '')}")
            st.button("Remove", key=f"req.image_remove.{i}", on_click=_remove, args=(i,), icon=":material/close:",
                      type="tertiary")


def media_note() -> None:
    """Images and frames over the limit are not kept across a reload (the editors are): say so."""
    ss = st.session_state
    total = state.media_bytes(ss[state.IMAGES], ss[state.VIDEO])
    if not total:
        return
    from structured_output.presets import max_preset_video_bytes

    limit = max_preset_video_bytes()
    if total > limit:
        st.caption(f":material/info: These images and frames take {size_text(total)}, more than the "
                   f"{size_text(limit)} kept on this machine: after a reload they are gone (the editors come "
                   "back). Remove some, or lower the video's sampling rate, to keep them.")
