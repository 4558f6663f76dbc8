"""Drafting: chunking and merging, both strategies, the real SmolLM2 and a real HTTP server.

`testdata.ScriptedDrafter` is a deterministic fake used where a test is about plumbing
(chunk boundaries, merging, evidence); the model tests use the real embedded
SmolLM2 and a real OpenAI-compatible server on a local socket.
"""

from __future__ import annotations

import json
import re
import threading
from collections.abc import Sequence
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import ClassVar

import pytest

from avt_notes.drafting import (
    DRAFT_MARKER,
    draft_note,
    load_template,
    parse_markdown,
    to_markdown,
    write_draft,
)
from avt_notes.drafting.backend import ChatMessage, load_drafter
from avt_notes.drafting.http import HttpDrafter
from avt_notes.drafting.set_aside import NO_EVIDENCE
from avt_notes.errors import DraftingError
from avt_notes.schemas import Transcript, Word

from testdata import CONSULTATION, PRIMOCK, ROOT, ScriptedDrafter, make_transcript

LINE = re.compile(r"^(u\d{4}) (\w+): (.*)$", re.MULTILINE)


def shown_ids(messages: Sequence[ChatMessage]) -> list[str]:
    return [m.group(1) for m in LINE.finditer(messages[-1]["content"])]


# --- chunking and merging -------------------------------------------------------------


def long_transcript(n: int = 60) -> Transcript:
    rows = [
        ("patient" if i % 2 else "clinician", f"Statement number {i} about topic {i % 7} today.")
        for i in range(n)
    ]
    return make_transcript(rows)


@pytest.mark.slow  # links evidence with the real MiniLM encoder
def test_long_transcript_is_chunked_and_merged():
    transcript = long_transcript(60)

    def script(messages: Sequence[ChatMessage]) -> str:
        ids = shown_ids(messages)
        # One sentence every chunk repeats (must merge), one unique per chunk (must stay).
        number = int(ids[0][1:]) - 1
        return (
            f"A statement about a topic was made today. [{ids[0]}]\n"
            f"Statement number {number} was about topic {number % 7}. [{ids[0]}]"
        )

    drafter = ScriptedDrafter(script, context_tokens=700)
    events: list[tuple[str, float]] = []
    note = draft_note(
        transcript,
        load_template("dap"),
        drafter,
        progress=lambda m, f: events.append((m, f)),
        strategy="compose",
        max_new_tokens=64,
    )
    assert note.chunks > 2
    # Each chunk is a run of whole utterances; together they cover the transcript once, in order.
    per_call = [shown_ids(c) for c in drafter.calls[:: len(note.sections)]]
    assert [i for ids in per_call for i in ids] == [u.id for u in transcript.utterances]
    for call in drafter.calls:
        assert drafter.count_tokens(call) + 64 <= drafter.context_tokens
    data = note.section("Data")
    repeated = [s for s in data.sentences if s.text.startswith("A statement about a topic")]
    assert len(repeated) == 1
    assert repeated[0].evidence == [ids[0] for ids in per_call]  # evidence joined, in time order
    unique = [s for s in data.sentences if s.text.startswith("Statement number")]
    assert len(unique) == note.chunks
    assert any("merged" in w for w in note.warnings)
    fractions = [f for _, f in events]
    assert fractions == sorted(fractions) and fractions[-1] == 1.0


@pytest.mark.slow  # links evidence with the real MiniLM encoder
def test_context_too_small_is_a_clear_error():
    drafter = ScriptedDrafter(lambda m: "", context_tokens=200)
    with pytest.raises(DraftingError, match="context"):
        draft_note(long_transcript(5), load_template("soap"), drafter, strategy="compose")


@pytest.mark.slow  # links evidence with the real MiniLM encoder
def test_extract_strategy_cites_the_restated_exchange():
    transcript = make_transcript(CONSULTATION)

    def script(messages: Sequence[ChatMessage]) -> str:
        assert messages[-1]["role"] == "assistant"  # the reply continues "The patient"
        line = LINE.findall(messages[1]["content"])[-1]
        return f" said: {line[2]}"

    drafter = ScriptedDrafter(script, prefers_extract=True)
    note = draft_note(transcript, load_template("soap"), drafter)
    assert note.strategy == "extract"
    sentences = note.sentences()
    assert sentences
    known = {u.id for u in transcript.utterances}
    for sentence in sentences:
        assert sentence.evidence_method == "extract"
        assert sentence.evidence and set(sentence.evidence) <= known
        assert sentence.text.startswith("The patient said:")
    # "Any fever?" is only used together with its answer.
    fever = [s for s in sentences if "fever" in s.text]
    assert fever and fever[0].evidence == ["u0003", "u0004"]


@pytest.mark.slow  # links evidence with the real MiniLM encoder
def test_evidence_ids_always_point_at_real_utterances():
    transcript = make_transcript(CONSULTATION)
    reply = (
        "Cough for two weeks. [u0002, u0999]\n"
        "Something invented entirely. [u0999]\n"
        "Cough keeps the patient up at night.\n"
        "Completely unrelated words here."
    )
    note = draft_note(
        transcript, load_template("dap"), ScriptedDrafter(lambda m: reply), strategy="compose"
    )
    known = {u.id for u in transcript.utterances}
    for sentence in note.sentences():
        assert set(sentence.evidence) <= known
    data = note.section("Data").sentences
    # A right citation is kept; a citation of a missing id is dropped and the sentence relinked.
    assert data[0].evidence == ["u0002"] and data[0].status == "supported"
    assert data[0].evidence_method == "cited"
    assert data[1].evidence_method == "lexical" and data[1].evidence == ["u0002"]
    # What no utterance supports is not in the body: it is set aside, with the reason.
    assert len(data) == 2
    left = {s.text: s for s in note.set_aside if s.section == "Data"}
    assert set(left) == {"Something invented entirely.", "Completely unrelated words here."}
    for sentence in left.values():
        assert sentence.evidence == [] and sentence.status == "unsupported"
        assert sentence.reasons == [NO_EVIDENCE, "cites no utterance"]


@pytest.mark.slow  # links evidence with the real MiniLM encoder
def test_write_draft_outputs(tmp_path):
    transcript = make_transcript(CONSULTATION)
    reply = "Cough for two weeks. [u0002]\nNo fever. [u0004]\nTakes ibuprofen 400 mg. [u0005]"
    note = draft_note(
        transcript, load_template("dap"), ScriptedDrafter(lambda m: reply), strategy="compose"
    )
    # Recognition was unsure of "cough" (0.3) in u0002: the sentence resting on it says so.
    said = transcript.utterance("u0002")
    said.words = [
        Word(text=w, start=said.start, end=said.end, probability=0.3 if "cough" in w else 0.9)
        for w in said.text.split()
    ]
    paths = write_draft(note, tmp_path, transcript, unsure_below=0.5)
    assert [p.name for p in paths] == ["draft.json", "draft.md"]
    loaded = json.loads((tmp_path / "draft.json").read_text())
    assert loaded["status"] == "draft" and loaded["marker"] == DRAFT_MARKER
    assert loaded["prompt_sha256"] == load_template("dap").sha256
    assert {t["stage"] for t in loaded["timings"]} >= {"drafting", "grounding", "total"}
    md = (tmp_path / "draft.md").read_text()
    assert DRAFT_MARKER in md
    assert "- Cough for two weeks. [u0002 00:00:05] — recognition unsure of “cough”\n" in md
    assert "⚠ unsupported" in md and '"400 mg"' in md
    assert "## For clinician review" in md
    assert parse_markdown(md)["Data"][0] == "Cough for two weeks."


# --- a real OpenAI-compatible HTTP server ---------------------------------------------


class _ChatHandler(BaseHTTPRequestHandler):
    """Implements POST /v1/chat/completions: restates the first patient line it is shown."""

    requests: ClassVar[list[dict]] = []

    def do_POST(self) -> None:
        body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
        type(self).requests.append(body)
        if self.path != "/v1/chat/completions":
            self.send_error(404)
            return
        if body["model"] == "broken":
            self.send_error(500, "model crashed")
            return
        prompt = body["messages"][-1]["content"]
        lines = LINE.findall(prompt)
        patient = [(i, text) for i, role, text in lines if role == "Patient"]
        content = "\n".join(f"The patient said: {text} [{i}]" for i, text in patient[:2])
        headings = re.findall(r"^## ([^:\n]+):", prompt, re.MULTILINE)
        if headings:  # the whole-note prompt: answer under every heading it asks for
            content = "\n".join(f"## {h}\n{content}" for h in headings)
        payload = {
            "id": "chatcmpl-test",
            "object": "chat.completion",
            "model": body["model"],
            "choices": [
                {
                    "index": 0,
                    "message": {"role": "assistant", "content": content},
                    "finish_reason": "stop",
                }
            ],
        }
        data = json.dumps(payload).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, format: str, *args: object) -> None:
        pass


@pytest.fixture(scope="module")
def chat_server():
    server = ThreadingHTTPServer(("127.0.0.1", 0), _ChatHandler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


@pytest.mark.slow  # links evidence with the real MiniLM encoder
def test_http_backend_drafts_against_a_real_server(chat_server, settings):
    transcript = make_transcript(CONSULTATION)
    drafting = {"drafter_http_model": "tiny"}
    drafter = load_drafter(settings.updated(drafting=drafting), chat_server)
    assert isinstance(drafter, HttpDrafter)
    _ChatHandler.requests.clear()
    note = draft_note(transcript, load_template("soap"), drafter, strategy="compose")
    assert note.strategy == "compose"
    assert len(_ChatHandler.requests) == 4  # one request per SOAP section
    assert all(r["temperature"] == 0 and r["model"] == "tiny" for r in _ChatHandler.requests)
    assert note.model.name == "tiny" and note.model.source == chat_server
    assert note.model.version == "tiny"
    first, *rest = note.sections
    assert first.sentences[0].text.startswith("The patient said: I've had a bad cough")
    assert first.sentences[0].evidence == ["u0002"]
    assert first.sentences[0].status == "supported"
    # The fake answers every section alike: the later restatements are left out, and said so.
    assert not any(
        s.text.startswith("The patient said: I've had") for r in rest for s in r.sentences
    )
    assert any("repeating earlier ones" in w for w in note.warnings)
    _ChatHandler.requests.clear()
    whole = draft_note(transcript, load_template("soap"), drafter)
    # One bounded call for the whole note (then short coverage calls, if facts were left out).
    note_calls = [r for r in _ChatHandler.requests if r["max_tokens"] == 4 * (110 + 12)]
    assert whole.strategy == "note" and len(note_calls) == 1
    assert _ChatHandler.requests[0] is note_calls[0]
    # The fake writes the same lines under every heading: only the first section keeps them.
    assert whole.sections[0].sentences[0].evidence == ["u0002"]
    assert not any(s.sentences for s in whole.sections[1:])
    assert sum("repeated line(s) left out" in w for w in whole.warnings) == 3
    drafter.close()


def test_http_backend_errors_are_drafting_errors(chat_server):
    drafter = HttpDrafter(chat_server, model="broken")
    with pytest.raises(DraftingError, match="500"):
        drafter.complete([{"role": "user", "content": "hi"}], max_new_tokens=5)
    with pytest.raises(DraftingError, match="did not answer"):
        HttpDrafter("http://127.0.0.1:9", timeout=2).complete(
            [{"role": "user", "content": "hi"}], max_new_tokens=5
        )


@pytest.mark.slow  # links evidence with the real MiniLM encoder
def test_cli_draft_with_http_drafter(chat_server, tmp_path):
    from typer.testing import CliRunner

    import avt_notes.cli.draft  # noqa: F401  (registers the commands)
    from avt_notes.cli.app import app

    transcript = make_transcript(CONSULTATION)
    path = tmp_path / "transcript.json"
    path.write_text(transcript.model_dump_json())
    result = CliRunner().invoke(
        app,
        ["draft", str(path), "--template", "dap", "--out", str(tmp_path), "--drafter", chat_server],
    )
    assert result.exit_code == 0, result.output
    written = (tmp_path / "draft.md").read_text()
    assert written.count("The patient said:") == 2 and "repeated line(s) left out" in written
    bad = CliRunner().invoke(app, ["draft", str(tmp_path / "missing.json"), "--out", str(tmp_path)])
    assert bad.exit_code != 0


# --- the embedded SmolLM2 ------------------------------------------------------------


def sample_consultation() -> Transcript:
    """sample_audio/consultation.reference.json when present, else a PriMock57 excerpt."""
    reference = ROOT / "sample_audio" / "consultation.reference.json"
    if reference.exists():
        rows = json.loads(reference.read_text())
        transcript = make_transcript([(r["role"], r["text"]) for r in rows])
        for utterance, row in zip(transcript.utterances, rows, strict=True):
            utterance.start, utterance.end = row["start"], row["end"]
        return transcript
    from avt_notes.bench.primock import load_consultation

    consultation = load_consultation(PRIMOCK, "day1_consultation01")
    return make_transcript([(u.role, u.text) for u in consultation.utterances[:30]])


@pytest.fixture(scope="session")
def smollm2(settings):
    return load_drafter(
        settings.updated(drafting={"drafter": "smollm2-135m", "drafter_backend": "transformers"})
    )


@pytest.mark.slow
def test_smollm2_drafts_a_complete_note_offline(smollm2, tmp_path):
    transcript = sample_consultation()
    assert smollm2.prefers_extract and smollm2.info.name.startswith("SmolLM2-135M")
    template = load_template("dap")
    note = draft_note(transcript, template, smollm2, rewrite_max_new_tokens=24)
    assert [s.name for s in note.sections] == [s.name for s in template.sections]
    assert note.status == "draft" and note.marker == DRAFT_MARKER
    assert note.model.version.startswith("sha256:")
    assert len(note.sentences()) >= 3
    known = {u.id for u in transcript.utterances}
    for sentence in note.sentences():
        assert sentence.text and set(sentence.evidence) <= known and sentence.evidence
        assert sentence.status == "unsupported" or not sentence.reasons
    md = to_markdown(note, transcript)
    assert DRAFT_MARKER in md
    assert set(parse_markdown(md)) == {s.name for s in template.sections}
    # Greedy decoding: the same prompt gives the same reply, alone or in a batch.
    section = template.sections[0]
    prompts = [
        template.rewrite_messages(section, "u0001 Patient: I have had a cough for two weeks."),
        template.rewrite_messages(section, "u0002 Patient: I sleep badly since my divorce."),
    ]
    single = [smollm2.complete(p, max_new_tokens=16, stop=template.rewrite_stop) for p in prompts]
    assert smollm2.complete(prompts[0], max_new_tokens=16, stop=template.rewrite_stop) == single[0]
    assert smollm2.complete_batch(prompts, max_new_tokens=16, stop=template.rewrite_stop) == single


@pytest.mark.slow
def test_a_local_transformers_folder_loads_as_a_drafter(smollm2, tmp_path):
    """A user's own model folder (config.json + weights + tokenizer): here a tiny random Llama."""
    import torch
    from transformers import LlamaConfig, LlamaForCausalLM

    from avt_notes.drafting.local import TransformersDrafter

    torch.manual_seed(0)
    config = LlamaConfig(
        vocab_size=len(smollm2.tokenizer),
        hidden_size=16,
        intermediate_size=32,
        num_hidden_layers=1,
        num_attention_heads=2,
        num_key_value_heads=1,
        max_position_embeddings=512,
    )
    LlamaForCausalLM(config).save_pretrained(tmp_path)
    smollm2.tokenizer.save_pretrained(tmp_path)
    drafter = TransformersDrafter(tmp_path, threads=1)
    assert drafter.context_tokens == 512 and drafter.prefers_extract
    assert drafter.info.name == tmp_path.name and drafter.info.version.startswith("sha256:")
    messages: list[ChatMessage] = [{"role": "user", "content": "Say hello."}]
    assert drafter.count_tokens(messages) > 3
    reply = drafter.complete(messages, max_new_tokens=5)
    assert isinstance(reply, str)
    assert reply == drafter.complete(messages, max_new_tokens=5)


# --- the whole-note strategy: one bounded call, headed plain text ---------------------


def test_whole_note_reply_is_read_by_heading_and_bounded():
    from avt_notes.drafting.whole_note import parse_note

    template = load_template("soap")
    reply = (
        "Here is the note.\n"
        "## Subjective:\n- The patient has had a cough for two weeks. [u0002]\n"
        "- The patient has had a cough for two weeks. [u0002]\n"
        "**Objective**\n- Not discussed.\n"
        "Assessment: The clinician thinks it is a viral chest infection. [u0006]\n"
        "## Plan\n- The patient has had a cough for two weeks. [u0002]\n"
        + "".join(f"- Come back in one week, item {n}. [u0007]\n" for n in range(9))
    )
    parsed, warnings = parse_note(reply, template, {f"u{i:04d}" for i in range(1, 8)})
    assert [p.ids for p in parsed["Subjective"]] == [["u0002"]]  # the repeat is left out
    assert parsed["Objective"] == []  # the template's "not discussed" text is no sentence
    assert parsed["Assessment"][0].text.startswith("The clinician thinks")
    assert len(parsed["Plan"]) == template.max_sentences
    assert not any("cough" in p.text for p in parsed["Plan"])  # copied from Subjective
    assert any("before the first section heading" in w for w in warnings)
    assert any("repeated" in w for w in warnings) and any("limit" in w for w in warnings)


def test_a_list_cited_item_by_item_stays_one_sentence():
    from avt_notes.drafting.prompting import parse_sentences

    known = {f"u{i:04d}" for i in range(1, 30)}
    reply = (
        "- The patient reports loose stool [u0005], tummy pain on the left [u0012], "
        "and vomiting [u0017]. The patient feels weak [u0018] and shaky [u0024].\n"
        "- The patient lives with their wife. [u0020] Works as an accountant (u21, u22).\n"
        "- Has a cough [u0001] Denies fever [u0002]"
    )
    parsed = [(p.text, p.ids) for p in parse_sentences(reply, known)]
    assert parsed == [
        (
            "The patient reports loose stool, tummy pain on the left, and vomiting.",
            ["u0005", "u0012", "u0017"],
        ),
        ("The patient feels weak and shaky.", ["u0018", "u0024"]),
        ("The patient lives with their wife.", ["u0020"]),
        ("Works as an accountant.", ["u0021", "u0022"]),
        # A citation before a capital letter still ends a sentence left without a stop.
        ("Has a cough.", ["u0001"]),
        ("Denies fever.", ["u0002"]),
    ]


@pytest.mark.slow  # links evidence with the real MiniLM encoder
def test_empty_sections_show_the_templates_not_discussed_text():
    transcript = make_transcript(CONSULTATION)
    reply = "## Subjective\n- The patient has had a cough for two weeks. [u0002]\n## Objective\n"
    note = draft_note(transcript, load_template("soap"), ScriptedDrafter(lambda m: reply))
    assert note.strategy == "note" and note.section("Subjective").sentences
    plan = note.section("Plan")
    assert not plan.sentences and plan.empty_text == "Not discussed."
    assert "_Not discussed._" in to_markdown(note, transcript)


@pytest.mark.slow  # links evidence with the real MiniLM encoder
def test_second_pass_no_flags_a_sentence_the_rules_passed():
    from avt_notes.drafting.verify import MODEL_SAYS_NO, read_verdict

    transcript = make_transcript(CONSULTATION)

    def script(messages: Sequence[ChatMessage]) -> str:
        if "Statement:" in messages[-1]["content"]:
            return "No." if "Statement: The cough keeps" in messages[-1]["content"] else "Yes"
        return (
            "## Subjective\n- The patient has had a cough for two weeks. [u0002]\n"
            "- The cough keeps the patient up at night. [u0002]\n"
        )

    note = draft_note(transcript, load_template("soap"), ScriptedDrafter(script), verify=True)
    first, second = note.section("Subjective").sentences
    assert first.status == "supported" and first.model_check == "yes"
    assert second.status == "unsupported" and second.reasons == [MODEL_SAYS_NO]
    assert [read_verdict(r) for r in ("Yes.", " no", "**No**", "Maybe")] == ["yes", "no", "no", ""]


# --- llama.cpp: SmolLM2 for plumbing, the default Qwen2.5-1.5B on a short session ------


@pytest.mark.slow
def test_llamacpp_backend_runs_a_gguf_deterministically(settings):
    from avt_notes.drafting.llamacpp import LlamaCppDrafter

    drafter = load_drafter(
        settings.updated(drafting={"drafter": "smollm2-135m", "drafter_context_tokens": 1024})
    )
    assert isinstance(drafter, LlamaCppDrafter) and drafter.prefers_extract
    messages: list[ChatMessage] = [{"role": "user", "content": "Name three colours."}]
    first = drafter.complete(messages, max_new_tokens=12)
    assert first and first == drafter.complete(messages, max_new_tokens=12)
    assert "\n" not in drafter.complete(messages, max_new_tokens=12, stop=["\n"])


@pytest.mark.slow
def test_llamacpp_completion_stops_when_its_caller_asks(settings):
    """Asked token by token (streamed), the same reply; stopped on request, an error; a
    failure in the asking is raised, never taken for a finished reply."""
    from avt_notes.errors import DraftingInterrupted

    drafter = load_drafter(
        settings.updated(drafting={"drafter": "smollm2-135m", "drafter_context_tokens": 1024})
    )
    messages: list[ChatMessage] = [{"role": "user", "content": "Describe a sunny day."}]
    free = drafter.complete(messages, max_new_tokens=60)
    words = free.split()
    assert len(words) > 6
    marker = words[len(words) // 2]  # a stop string the reply is sure to reach
    whole = drafter.complete(messages, max_new_tokens=60, stop=[marker])
    assert marker not in whole and free.startswith(whole) and len(whole) < len(free)

    asked = []
    streamed = drafter.complete(
        messages, max_new_tokens=60, stop=[marker], should_stop=lambda: asked.append(1) and False
    )
    assert streamed == whole and len(asked) > 3  # asked after each token, the same reply

    asked.clear()

    def after_three() -> bool:
        asked.append(1)
        return len(asked) >= 3

    with pytest.raises(DraftingInterrupted):
        drafter.complete(messages, max_new_tokens=60, should_stop=after_three)
    assert len(asked) == 3  # no token was handed over after the stop

    def broken() -> bool:
        raise RuntimeError("the session store is gone")

    with pytest.raises(RuntimeError, match="store is gone"):
        drafter.complete(messages, max_new_tokens=60, should_stop=broken)
    # The drafter is free again and answers as before.
    assert drafter.complete(messages, max_new_tokens=60, stop=[marker]) == whole


MENTAL_HEALTH_SESSION = [
    ("clinician", "How have you been since we last met?"),
    ("patient", "Better. My sister Ruth has been staying with me since Sunday."),
    ("clinician", "Any thoughts of harming yourself?"),
    ("patient", "No, none at all."),
    ("clinician", "Keep taking the sertraline fifty milligrams, and I'll see you on Friday."),
]


@pytest.mark.slow
def test_default_drafter_writes_a_faithful_linked_note(settings):
    """Qwen2.5-Coder-1.5B (the default) through llama.cpp on a five-line session."""
    drafter = load_drafter(settings)
    assert settings.drafting.drafter == "qwen2.5-1.5b" and not drafter.prefers_extract
    transcript = make_transcript(MENTAL_HEALTH_SESSION)
    template = load_template("mental-health-progress")
    note = draft_note(transcript, template, drafter)
    assert note.strategy == "note" and note.model.name.startswith("qwen2.5-coder-1.5b")
    sentences = note.sentences()
    assert sentences
    body = " ".join(s.text for s in sentences).lower()
    assert ("sister" in body or "ruth" in body) and "sertraline" in body and "friday" in body
    for sentence in sentences:  # every sentence is linked, or flagged as having no evidence
        assert sentence.evidence or sentence.status == "unsupported"
    for sentence in sentences:  # a wrong day or drug never passes the check
        text = sentence.text.lower()
        if sentence.status == "supported":
            assert "tomorrow" not in text and "brother" not in text


def test_a_line_copied_in_the_first_person_becomes_a_quote_of_its_speaker():
    """risk-04: the model copied the patient's lines; "I" in a note reads as the clinician."""
    rows = [
        ("clinician", "How have things been since the funeral?"),
        ("patient", "The house is too quiet. I talk to her photo in the evenings."),
        ("clinician", "I'll see you again on Thursday."),
    ]
    reply = (
        "## Subjective\n- I talk to her photo in the evenings. [u0002]\n"
        "- I find the house too quiet in the evenings. [u0002]\n## Objective\n- Not discussed.\n"
        "## Assessment\n- Not discussed.\n## Plan\n- I'll see you again on Thursday. [u0003]\n"
    )
    note = draft_note(
        make_transcript(rows), load_template("soap"), ScriptedDrafter(lambda m: reply)
    )
    by_text = {s.text: s for s in note.sentences()}
    quoted = by_text["The patient said “I talk to her photo in the evenings.”"]
    assert quoted.status == "supported" and quoted.evidence[-1] == "u0002"
    assert by_text["The clinician said “I'll see you again on Thursday.”"].status == "supported"
    # Reworded, not copied: stays as written, flagged.
    reworded = by_text["I find the house too quiet in the evenings."]
    assert reworded.status == "unsupported"
    assert any("first or second person" in r for r in reworded.reasons)
