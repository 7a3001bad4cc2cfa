"""The students' side of a class: a nickname, progress reported to the class store, what the
teacher sends ("Your teacher sent: … Open"), and the teacher's pause.

Every page calls ``visit(page)`` (from ``playground/shared/pagestate.py``'s ``enter``); outside a
class it does nothing. In a class it draws one slim bar at the top of the page: a small fragment
that every ``POLL`` seconds reports the student's progress (to this process's hub: memory only,
the hub's thread writes it) and shows what the teacher sent. If the store cannot be reached, the
student sees nothing of it: the page works as if there were no class.
"""
from __future__ import annotations

import hashlib
import math
import random
import secrets
import time
from dataclasses import dataclass

import streamlit as st

from playground.classroom.access import TEACHER_FLAG
from playground.classroom.hub import hub, in_class
from playground.classroom.messages import PAGES
from playground.lessons import catalogue as lessons
from playground.shared.guard import guarded

# Seconds between two reports of one student. The teacher's page refreshes every second; a report
# costs the student's server a fragment rerun (about 2 ms of the interpreter, measured), so a class
# of 100 reports 50 times a second rather than 100 (benchmarks/classroom.py --class).
POLL = 2.0
PICTURE_EVERY = 6.0  # seconds between two pictures of a student's decision map (it changes slowly)
LABS = ("toy", "digits")
COLOURS = ["blue", "red", "green", "golden", "silver", "purple", "orange", "grey", "white", "black", "amber",
           "coral", "jade", "ruby", "sky", "sandy"]
ANIMALS = ["heron", "fox", "otter", "badger", "owl", "lynx", "hare", "wren", "seal", "kestrel", "beaver", "panda",
           "gecko", "puffin", "marten", "ibis", "yak", "koala", "falcon", "newt"]
MAX_NICK = 24
_KEY = "_nn_student"


def assigned_nickname(rng: random.Random | None = None, taken=()) -> str:
    """A nickname such as "blue heron" (320 of them), one not ``taken`` while there are any left."""
    rng = rng or random.Random()
    names = [f"{c} {a}" for c in COLOURS for a in ANIMALS]
    free = sorted(set(names) - set(taken))
    return rng.choice(free or names)


def clean_nickname(text: str) -> str:
    """A typed nickname, tidied (spaces collapsed, at most 24 characters); raises ValueError with
    one sentence for one that cannot be used."""
    nick = " ".join(str(text).split())
    if not nick:
        raise ValueError("Type a nickname (any word will do), or keep the one you were given.")
    if len(nick) > MAX_NICK:
        raise ValueError(f"A nickname has at most {MAX_NICK} characters; this one has {len(nick)}.")
    if not all(c.isprintable() for c in nick):
        raise ValueError("A nickname is letters, digits, spaces and punctuation only.")
    return nick


@dataclass
class Student:
    sid: str  # the same for every tab of one browser (from its Streamlit cookie), else random
    nickname: str
    page: str = ""
    lab: str = ""  # the last lab visited, whose numbers the card shows
    goal_at: float | None = None  # when the current lesson's goal was first seen reached
    goal_lesson: str | None = None
    held: str = ""  # the lab whose training the teacher's pause stopped ("" when none)
    shown: tuple = ()  # the teacher's controls as the page last showed them (``_shown``)
    picture: tuple = (0.0, None)  # (when, data URI) of the last picture of the decision map


def _student() -> Student:
    student = st.session_state.get(_KEY)
    if student is None:
        from playground.server.live import owner_of
        owner = owner_of(st.context.cookies)
        sid = hashlib.sha256(b"nn-student:" + owner).hexdigest()[:16] if owner else secrets.token_hex(8)
        known = _class()
        mine = known.get(sid)
        student = Student(sid, (mine or {}).get("nickname")
                          or assigned_nickname(taken={r.get("nickname") for r in known.values()}))
        st.session_state[_KEY] = student
        if mine is None:
            st.toast(f"You joined the class as **{plain(student.nickname)}**: click your name at the top to change it.",
                     icon=":material/groups:")
    return student


def _class() -> dict[str, dict]:
    """The class's records as the store has them (this browser's from an earlier tab among them, with
    its nickname), if the store answers at once; else none."""
    h = hub()
    if h.error:
        return {}
    try:
        return h.call("students")
    except Exception:  # a store that cannot be reached: a new nickname, and the class goes on
        return {}


def plain(text: str) -> str:
    """A typed text as Markdown shows it literally (a nickname in a label or a sentence)."""
    return "".join("\\" + c if c in "\\`*_{}[]()#+-.!|<>~$:" else c for c in str(text))


def _finite(v) -> float | None:
    return float(v) if v is not None and math.isfinite(float(v)) else None


def lab_numbers(lab: str, session, picture: bool = True) -> dict:
    """What the teacher's card shows of a lab session: lesson, goal, epoch, test loss, accuracy and
    (toy lab, ``picture``) a small picture of the decision map."""
    from playground.shared.png import MAP_LUT, png_uri
    run = session.run
    h = run.history
    out = {"lesson": session.teacher.lesson, "goal_epoch": session.goal, "epoch": int(run.epoch),
           "test_loss": _finite(h.last("test_loss")), "accuracy": None, "picture": None,
           "playing": bool(session.playing)}
    if lab == "toy":
        with session.feed.lock:  # no frame trains meanwhile
            regression = run.settings.problem == "regression"
            if not regression:
                out["accuracy"] = _finite(h.last("test_acc"))
            grid = run.maps()[-1] if picture else None
            if grid is not None and grid.ndim == 2:  # one output (with 3 to 6 classes: the accuracy)
                out["picture"] = png_uri(grid[::4, ::4], lut=MAP_LUT,  # 25×25: a small picture
                                         discretise=run.settings.discretise and not regression)
    else:
        out["accuracy"] = _finite(h.last("test_acc"))
    return out


def record(student: Student, state) -> dict:
    """The student's card as stored: nickname, page, and the last lab's numbers."""
    rec = {"nickname": student.nickname, "page": student.page, "at": time.time(), "lab": student.lab}
    session = state.get(student.lab) if student.lab else None
    if session is not None:
        fresh = time.time() - student.picture[0] >= PICTURE_EVERY or not session.playing
        rec.update(lab_numbers(student.lab, session, picture=fresh))
        if fresh:
            student.picture = (time.time(), rec["picture"])
        elif student.lab == "toy":
            rec["picture"] = student.picture[1]
        if rec["goal_epoch"] is None or rec["lesson"] != student.goal_lesson:
            student.goal_at = None
        if rec["goal_epoch"] is not None and student.goal_at is None:
            student.goal_at, student.goal_lesson = time.time(), rec["lesson"]
        rec["goal_at"] = student.goal_at
        lesson = lessons.find(rec["lesson"])
        rec["lesson_title"] = f"{lesson.order}. {lesson.title}" if lesson else None
    return rec


def _hold(student: Student, state) -> bool:
    """The teacher paused the class: stop this student's training (once). True if it stopped."""
    session = state.get(student.lab) if student.lab else None
    if session is None or not session.playing:
        return False
    lock = getattr(getattr(session, "feed", None), "lock", None)
    if lock is not None:
        with lock:
            session.playing = False
    else:
        session.playing = False
    student.held = student.lab
    return True


def _release(student: Student, state) -> None:
    """The teacher resumed: training goes on where the pause stopped it."""
    session = state.get(student.held)
    student.held = ""
    if session is not None:
        session.playing = True


def _rename() -> None:
    student: Student = st.session_state[_KEY]
    try:
        student.nickname = clean_nickname(st.session_state.get("class_nickname", ""))
        st.session_state.pop("class_nickname_error", None)
    except ValueError as e:
        st.session_state.class_nickname_error = str(e)
    hub().report(student.sid, record(student, st.session_state))


BAR_CSS = ("<style>.st-key-class_bar{margin-bottom:-.4rem}"
           ".st-key-class_bar [data-testid=stPopover] button{padding:.1rem .6rem;min-height:0}</style>")


def _shown(control: dict) -> tuple:
    """What of the teacher's controls a student's page shows: the pause, and the message."""
    return bool(control.get("paused")), (control.get("message") or {}).get("id")


@guarded
def bar() -> None:
    """Every ``POLL`` seconds, on its own: report, and redraw the page when the teacher paused,
    resumed or sent something (the page then shows it, outside this fragment, where a click on
    Open never meets an element being redrawn)."""
    student: Student = st.session_state[_KEY]
    h = hub()
    control = h.control
    state = st.session_state
    h.report(student.sid, record(student, state))
    if control.get("paused"):
        if _hold(student, state):
            st.rerun(scope="app")  # the lab shows Play again
    elif student.held:
        _release(student, state)
        st.rerun(scope="app")
    if _shown(control) != student.shown:
        st.rerun(scope="app")


def _hide(message_id) -> None:
    st.session_state["class_seen"] = message_id


def teacher_says(student: Student) -> None:
    """The pause, and what the teacher sent ("Your teacher sent: … Open")."""
    control = hub().control
    student.shown = _shown(control)
    if control.get("paused"):
        st.warning("Your teacher paused the class: training stops until they resume it.", icon=":material/pause:")
    message = control.get("message")
    if message and message.get("id") != st.session_state.get("class_seen"):
        text, go, hide = st.columns([7, 1.2, 1], vertical_alignment="center")
        text.info(f"Your teacher sent: **{plain(message.get('label', ''))}**", icon=":material/campaign:")
        if message.get("page") in PAGES:
            go.page_link(f"{message['page']}/page.py", label="Open", icon=":material/open_in_new:",
                         query_params=message.get("query", {}))
        hide.button("Hide", key="class_hide", on_click=_hide, args=(message.get("id"),))


def visit(page: str) -> None:
    """Called by every page as it starts (``pagestate.enter``): outside a class, nothing; nor for the
    teacher, who may show a lab on the projector without becoming a student card (or pausing it)."""
    if not in_class() or page == "class" or st.session_state.get(TEACHER_FLAG):
        return
    student = _student()
    student.page = page
    if page in LABS:
        student.lab = page
    if hub().control.get("paused"):  # a Play pressed during the pause does not start training
        _hold(student, st.session_state)
    st.html(BAR_CSS)
    with st.container(key="class_bar"):
        left, _ = st.columns([2, 8])
        with left.popover(f"In class as {plain(student.nickname)}", icon=":material/groups:"):
            st.text_input("Your nickname for the class", value=student.nickname, key="class_nickname",
                          on_change=_rename, max_chars=MAX_NICK)
            st.caption("Only this nickname and your progress in the labs go to your teacher's page; nothing "
                       "else about you.")
            if err := st.session_state.get("class_nickname_error"):
                st.warning(err)
        teacher_says(student)
        st.fragment(bar, run_every=POLL)()


def _send_drawing() -> None:
    student: Student = st.session_state[_KEY]
    img, digit = st.session_state.get("draw_img"), st.session_state.get("class_digit")
    if img is None:
        st.session_state.class_sent = ("warning", "Draw a digit first, then send it.")
    elif digit is None:
        st.session_state.class_sent = ("warning", "Choose the digit you meant first, then send it.")
    else:
        try:
            hub().call("add_drawing", student.sid, student.nickname, int(digit), img)
            st.session_state.class_sent = ("success", f"Sent your {digit} to the class board.")
            st.session_state.class_digit = None
        except Exception:  # the store is away: the drawing stays on this page
            st.session_state.class_sent = ("warning", "The class board cannot be reached just now; your drawing "
                                                      "stays here, try again in a moment.")


def send_to_board() -> None:
    """On the draw page, in a class: send the drawing and the digit meant to the class board."""
    if not in_class() or _KEY not in st.session_state:
        return
    with st.expander("Send to the class board", icon=":material/upload:"):
        digit, send = st.columns([1, 1.3], vertical_alignment="bottom")
        digit.selectbox("The digit you meant", list(range(10)), key="class_digit", index=None, placeholder="choose…")
        send.button("Send", key="class_send_drawing", on_click=_send_drawing, type="primary", icon=":material/send:")
        st.caption("Your teacher's page shows it, with your nickname, beside the class's other drawings.")
        if sent := st.session_state.pop("class_sent", None):
            getattr(st, sent[0])(sent[1])
