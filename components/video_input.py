"""Video input: upload a clip (sampled into frames at the rate set here), give its URL, or give its
frames; a filmstrip shows each frame with its time. Decoding and limits are ``structured_output.video``."""

from __future__ import annotations

import io
import zipfile

import streamlit as st

from components import state
from structured_output.display import md_escape
from structured_output.export.shared import frame_files
from structured_output.images import UPLOAD_EXTENSIONS as IMAGE_EXTENSIONS
from structured_output.request import Request, VideoInput
from structured_output.video import (
    UPLOAD_EXTENSIONS,
    VideoRejected,
    compatible_times,
    from_frames,
    limits,
    read_url,
    sample,
    timestamp,
)

SOURCES = {"clip": "Upload a clip", "url": "Video URL", "frames": "Frames (images)"}
FILMSTRIP_COLUMNS = 3  # the video sits in half the page: three frames a row keep each one legible


def _uploader_key(kind: str) -> str:
    return f"req.video_uploader.{kind}{st.session_state[state.VIDEO_UPLOADER_VERSION]}"


def _resample() -> None:
    """Sample the kept clip again at the current rate (the rate widget's callback, and after an upload)."""
    ss = st.session_state
    clip = ss[state.VIDEO_CLIP]
    if clip is None:
        return
    try:
        ss[state.VIDEO] = sample(clip[0], clip[1], float(ss[state.VIDEO_FPS]))
        ss[state.VIDEO_NOTICES] = []
    except VideoRejected as e:
        ss[state.VIDEO_NOTICES] = [str(e)]  # the previous frames stay, so nothing is lost


def _take_clip() -> None:
    ss = st.session_state
    f = ss.get(_uploader_key("clip"))
    if f is None:
        return
    ss[state.VIDEO_CLIP] = (f.getvalue(), f.name)
    ss[state.VIDEO_UPLOADER_VERSION] += 1
    _resample()
    if ss[state.VIDEO_NOTICES]:
        ss[state.VIDEO_CLIP] = None  # a refused clip is not kept for re-sampling


def _take_frames() -> None:
    ss = st.session_state
    files = ss.get(_uploader_key("frames")) or []
    if not files:
        return
    try:
        ss[state.VIDEO] = from_frames([(f.getvalue(), f.name) for f in files], float(ss[state.VIDEO_FPS]))
        ss[state.VIDEO_CLIP], ss[state.VIDEO_NOTICES] = None, []
    except VideoRejected as e:
        ss[state.VIDEO_NOTICES] = [str(e)]
    ss[state.VIDEO_UPLOADER_VERSION] += 1


def _add_url() -> None:
    ss = st.session_state
    try:
        video = read_url(ss[state.VIDEO_URL])
        video.fps = float(ss[state.VIDEO_FPS])
        ss[state.VIDEO], ss[state.VIDEO_CLIP], ss[state.VIDEO_NOTICES] = video, None, []
    except VideoRejected as e:
        ss[state.VIDEO_NOTICES] = [str(e)]


def _remove() -> None:
    ss = st.session_state
    ss[state.VIDEO], ss[state.VIDEO_CLIP], ss[state.VIDEO_NOTICES] = None, None, []


def _frames_zip(video: VideoInput) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as z:
        for name, data in frame_files(Request(video=video)):
            z.writestr(f"frames/{name}", data)
    return out.getvalue()


def video_input() -> None:
    """The request's video: source, sampling rate, refusals, and the filmstrip of what will be sent."""
    ss = st.session_state
    lim = limits()
    source = st.segmented_control("Video source", list(SOURCES), format_func=SOURCES.get, key=state.VIDEO_SOURCE,
                                  label_visibility="collapsed") or "clip"
    st.number_input("Sampling rate (frames per second)", min_value=lim.fps_min, max_value=lim.fps_max, step=0.5,
                    key=state.VIDEO_FPS, on_change=_resample,
                    help=f"{lim.min_frames}–{lim.max_frames} frames per video. Natively the rate is sent as `fps`; "
                         f"the OpenAI-compatible protocol has no fps and the service takes frames as "
                         f"{lim.compatible_interval_s:g} s apart.")
    if source == "clip":
        st.file_uploader("Upload a short clip (MP4, WebM or MOV)", type=list(UPLOAD_EXTENSIONS),
                         key=_uploader_key("clip"), on_change=_take_clip,
                         max_upload_size=lim.max_upload_bytes // (1024 * 1024))
    elif source == "url":
        col1, col2 = st.columns([4, 1], vertical_alignment="bottom")
        col1.text_input("Video URL (the service fetches and samples it)", key=state.VIDEO_URL,
                        placeholder="https://example.com/clip.mp4")
        col2.button("Add", on_click=_add_url, key="req.video_url_add", width="stretch")
    else:
        st.file_uploader(f"Frames in order (PNG, JPEG or WebP), taken 1/rate s apart; {lim.min_frames} or more",
                         type=list(IMAGE_EXTENSIONS), accept_multiple_files=True, key=_uploader_key("frames"),
                         on_change=_take_frames)
    for notice in ss[state.VIDEO_NOTICES]:
        st.error(md_escape(notice), icon=":material/videocam_off:")
    video = ss[state.VIDEO]
    if video is None:
        return
    head, remove = st.columns([3, 1], vertical_alignment="center")
    if video.url:
        head.caption(f":material/link: {md_escape(video.url)} · the service samples it at {video.fps:g} fps")
    else:
        length = f" of {video.duration_s:.1f} s" if video.duration_s else ""
        head.caption(f":material/movie: {md_escape(video.name or 'video')}: {len(video.frames)} frames{length} "
                     f"at {video.fps:g} fps")
    remove.button("Remove", key="req.video_remove", on_click=_remove, icon=":material/close:", type="tertiary")
    protocol = ss[state.PROTOCOL]
    if ss[state.ENDPOINT] == "local":
        st.caption(":material/info: The local engine sees no pictures: it reads each frame's text by OCR "
                   "(tesseract) and gives the model the first frame's text, then each change with its time.")
    if video.frames:
        times = video.times
        if protocol == "compatible" and abs(video.fps - 1 / lim.compatible_interval_s) > 1e-6:
            st.warning(f"On the OpenAI-compatible protocol fps cannot be sent: the service takes frames as "
                       f"{lim.compatible_interval_s:g} s apart, so the times it reports follow the second line "
                       f"under each frame, not the first. Sample at {1 / lim.compatible_interval_s:g} fps, or use "
                       "the native protocol.", icon=":material/schedule:")
            assumed = compatible_times(video)
        else:
            assumed = None
        cols = st.columns(FILMSTRIP_COLUMNS)
        for i, frame in enumerate(video.frames):
            with cols[i % FILMSTRIP_COLUMNS]:
                st.image(frame.data or b"", width="stretch")
                label = timestamp(times[i]) if i < len(times) else "?"
                if assumed is not None:
                    label += f"  \ntaken as {timestamp(assumed[i])}"
                st.caption(label)
        st.download_button("Frames (.zip) for the exported code", _frames_zip(video), "frames.zip",
                           "application/zip", key="req.video_frames_zip", icon=":material/download:",
                           type="tertiary")
