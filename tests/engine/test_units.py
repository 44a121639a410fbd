"""Engine pieces that need no model: stop strings, JSON shape tracking, schema tightening, prompts,
request parsing, the scheduler's line. Fast; they run without starting the engine."""

from __future__ import annotations

import asyncio
import json

import jsonschema
import pytest

from local_engine.chat import ChatRequest, ImageInput, Message, Part
from local_engine.errors import EngineError
from local_engine.guards import JsonShape
from local_engine.prompting import build_prompt, key_hint, key_plan, schema_hint, split_shots
from local_engine.rules import check_model, check_request
from local_engine.scheduler import Scheduler
from local_engine.schema_rewrites import (
    drop_format,
    drop_redundant_not,
    one_of_as_any_of,
    require_dependencies,
    tighten,
)
from local_engine.shapes import compatible, native
from local_engine.stops import StopScanner


def feed_all(scanner: StopScanner, pieces: list[str]) -> str:
    return "".join(scanner.feed(p) for p in pieces) + ("" if scanner.hit else scanner.flush())


def test_stop_string_split_across_pieces() -> None:
    s = StopScanner(["\nInput:"])
    assert feed_all(s, ["Rome is", " the capital.", "\nIn", "put:", " more"]) == "Rome is the capital."
    assert s.hit


def test_partial_stop_prefix_is_released_when_it_does_not_match() -> None:
    s = StopScanner(["\nInput:"])
    assert feed_all(s, ["a\nIn", "deed b"]) == "a\nIndeed b"
    assert not s.hit


def test_trim_drops_outer_whitespace_only() -> None:
    s = StopScanner(["\nInput:"], trim=True)
    assert feed_all(s, [" ", " The", " answer", ".\n", "\n", "Input:"]) == "The answer."
    s = StopScanner([], trim=True)
    assert feed_all(s, ["a ", " b", "  "]) == "a  b"


def test_json_shape_counts_items_and_depth() -> None:
    shape = JsonShape()
    shape.feed('{"a": [1, 2, 3], "b": {"c": "x, y')
    assert shape.in_string and shape.string_chars == 4
    assert shape.depth == 2
    shape.feed('"}, "d": ')
    assert not shape.in_string and shape.depth == 1 and shape.items == 3
    shape.feed('"es\\"c')
    assert shape.in_string and shape.string_chars == 5


def test_tighten_closes_declared_objects_only() -> None:
    schema = {"type": "object", "properties": {"a": {"type": "object", "properties": {"b": {"type": "string"}}},
                                               "c": {"type": "object", "additionalProperties": True,
                                                     "properties": {"d": {"type": "integer"}}}},
              "required": ["a"]}
    tight = tighten(schema)
    assert tight["additionalProperties"] is False
    assert tight["properties"]["a"]["additionalProperties"] is False
    assert tight["properties"]["c"]["additionalProperties"] is True
    assert "additionalProperties" not in schema  # the original is not modified


@pytest.mark.parametrize("schema", [
    {"allOf": [{"properties": {"a": {}}}, {"properties": {"b": {}}}]},
    {"properties": {"a": {}}, "required": ["a", "b"]},
    {"properties": {"a": {}}, "anyOf": [{"required": ["a"]}]},
    {"type": "string"},
])
def test_tighten_leaves_risky_schemas_alone(schema: dict[str, object]) -> None:
    assert tighten(schema) is schema


def test_tightened_answers_validate_against_the_original() -> None:
    schema = {"type": "object", "properties": {"name": {"type": "string"}}}
    answer = {"name": "x"}
    jsonschema.validate(answer, tighten(schema))
    jsonschema.validate(answer, schema)


def chat(mode: str = "none", schema: dict[str, object] | None = None, model: str = "qwen-plus",
         **kw: object) -> ChatRequest:
    messages = [Message("system", [Part(text="Extract the name as JSON.")]),
                Message("user", [Part(text="I am Alex Brown.")])]
    return ChatRequest("compatible", model, messages, mode=mode, schema=schema, **kw)  # type: ignore[arg-type]


def test_prompt_layout_and_cue() -> None:
    prompt = build_prompt(chat("json_object"))
    assert prompt.text.endswith("Instruction: Extract the name as JSON.\nInput: I am Alex Brown.\nOutput:")
    assert prompt.stop == []
    assert build_prompt(chat()).stop  # unconstrained text stops at the next block


def test_prompt_carries_ocr_text() -> None:
    req = chat("json_object")
    req.messages[1].parts.append(Part(image=ImageInput("data:,", "x", ocr_text="Invoice 10283819")))
    assert "read by OCR:]\nInvoice 10283819" in build_prompt(req).text


def test_schema_hint_lists_fields() -> None:
    hint = schema_hint({"properties": {"name": {"type": "string"}, "kind": {"enum": ["a", "b"]}},
                        "required": ["name"]})
    assert hint == 'Answer with a JSON object with the fields: name (string), kind (one of "a"/"b", optional).'


def test_rules_without_a_model() -> None:
    info = check_model("qwen-plus")
    check_request(chat("json_schema", {"type": "object"}), info)
    with pytest.raises(EngineError) as e:
        check_request(chat("json_object", enable_thinking=True), info)
    assert e.value.status == 400
    with pytest.raises(EngineError) as e:
        check_model("gpt-4o")
    assert e.value.status == 404
    check_request(chat("json_object", model="local-gemma3-270m"), check_model("local-gemma3-270m"))


def test_compatible_parse_reads_everything() -> None:
    req = compatible.parse_request({
        "model": " qwen-plus ", "messages": [{"role": "user", "content": [
            {"type": "text", "text": "hi json"},
            {"type": "image_url", "image_url": {"url": "data:image/png;base64,x"}}]}],
        "response_format": {"type": "json_schema", "json_schema": {"name": "n", "schema": {"type": "object"}}},
        "max_completion_tokens": 7, "temperature": 0.5, "seed": 3, "stop": "END", "stream": True,
        "stream_options": {"include_usage": True}, "enable_thinking": False})
    assert req.model == "qwen-plus" and req.mode == "json_schema" and req.schema == {"type": "object"}
    assert req.max_tokens == 7 and req.temperature == 0.5 and req.seed == 3 and req.stop == ["END"]
    assert req.stream and req.include_usage and req.enable_thinking is False
    assert req.images[0].where == "messages[0].content[1].image_url.url"


def test_native_parse_defaults() -> None:
    body = {"model": "qwen-plus", "input": {"messages": [{"role": "user", "content": "hi"}]}}
    assert native.parse_request(body, multimodal=False, stream=False).result_format == "text"
    req = native.parse_request(body, multimodal=True, stream=True)
    assert req.result_format == "message" and req.stream and not req.incremental_output
    assert native.parse_request({"model": "m", "input": {"prompt": "p"}}, multimodal=False,
                                stream=False).messages[0].text == "p"


def test_native_output_shapes() -> None:
    body = {"model": "qwen-plus", "input": {"messages": [{"role": "user", "content": "hi"}]},
            "parameters": {"result_format": "message"}}
    req = native.parse_request(body, multimodal=False, stream=False)
    assert native.output(req, "{}", "stop") == {
        "choices": [{"finish_reason": "stop", "message": {"role": "assistant", "content": "{}"}}]}
    req = native.parse_request(body, multimodal=True, stream=False)
    assert native.output(req, "{}", "stop")["choices"][0]["message"]["content"] == [{"text": "{}"}]
    event = native.sse_event(3, {"x": 1})
    assert event.startswith("id:3\nevent:result\n") and event.endswith('data:{"x": 1}\n\n')
    assert json.loads(event.split("data:", 1)[1]) == {"x": 1}


def test_scheduler_counts_a_burst_at_once() -> None:
    async def scenario() -> list[int]:
        sched = Scheduler(max_waiting=2)
        tickets = [sched.reserve() for _ in range(3)]  # one to run, two to wait
        with pytest.raises(EngineError) as e:
            sched.reserve()
        assert e.value.status == 429 and e.value.headers["Retry-After"]
        async with tickets[0]:
            assert sched.busy and sched.waiting == 2
            with pytest.raises(EngineError):
                sched.reserve()
        tickets[1].release()  # a client that left before its turn
        tickets[1].release()  # releasing twice is harmless
        async with tickets[2]:
            pass
        return [sched.waiting, int(sched.busy)]

    assert asyncio.run(scenario()) == [0, 0]


def test_exclusive_one_of_becomes_any_of() -> None:
    by_type = {"oneOf": [{"type": "string"}, {"type": "object"}]}
    assert one_of_as_any_of(by_type) == ({"anyOf": [{"type": "string"}, {"type": "object"}]}, 1)
    by_const = {"oneOf": [{"const": 1}, {"const": 2}]}
    assert one_of_as_any_of(by_const)[1] == 1
    tagged = {"$defs": {"p": {"type": "object", "required": ["kind"], "properties": {"kind": {"enum": ["point"]}}}},
              "oneOf": [{"$ref": "#/$defs/p"},
                        {"type": "object", "required": ["kind"], "properties": {"kind": {"const": "line"}}}]}
    assert "anyOf" in one_of_as_any_of(tagged)[0]


@pytest.mark.parametrize("schema", [
    {"oneOf": [{"required": ["a"]}, {"required": ["b"]}]},  # {"a", "b"} matches both
    {"oneOf": [{"type": "integer"}, {"type": "number"}]},
    {"oneOf": [{}, {"enum": ["x"]}]},
])
def test_overlapping_one_of_is_left_alone(schema: dict[str, object]) -> None:
    assert one_of_as_any_of(schema) == (schema, 0)


def test_drop_unknown_format() -> None:
    schema = {"type": "object", "properties": {"v": {"type": "string", "format": "semver"},
                                               "d": {"type": "string", "format": "date"}}}
    dropped = drop_format(schema, "semver")
    assert "format" not in dropped["properties"]["v"] and dropped["properties"]["d"]["format"] == "date"
    assert schema["properties"]["v"]["format"] == "semver"


def test_tighten_never_narrows_inside_not() -> None:
    schema = {"type": "object", "properties": {"a": {"type": "string"}},
              "not": {"type": "object", "properties": {"b": {"type": "string"}}}}
    assert tighten(schema) is schema  # the object has a combinator: left as is
    nested = {"type": "object", "properties": {"x": {"not": {"properties": {"b": {}}}}}}
    assert "additionalProperties" not in tighten(nested)["properties"]["x"]["not"]


@pytest.mark.parametrize("keyword", ["oneOf", "not", "if", "allOf"])
def test_tighten_refuses_schemas_where_narrowing_is_unsafe(keyword: str) -> None:
    """With oneOf, narrowed branches can look exclusive while the originals overlap."""
    schema = {"$defs": {"a": {"properties": {"login": {}, "password": {}}, "required": ["login"]}},
              "properties": {"x": {keyword: [{"$ref": "#/$defs/a"}]}}}
    assert tighten(schema) is schema


def test_redundant_not_is_dropped_only_when_redundant() -> None:
    schema = {"anyOf": [{"type": "string"}, {"type": "array"}], "not": {"type": "object"}}
    assert drop_redundant_not(schema) == ({"anyOf": [{"type": "string"}, {"type": "array"}]}, 1)
    meaningful = {"type": ["string", "object"], "not": {"type": "object"}}
    assert drop_redundant_not(meaningful) == (meaningful, 0)


def test_dependencies_become_required() -> None:
    schema = {"type": "object", "properties": {"a": {}, "b": {}}, "required": ["c"], "dependencies": {"a": ["b"]}}
    out, n = require_dependencies(schema)
    assert n == 1 and out["required"] == ["c", "b"] and "dependencies" not in out
    answer = {"a": 1, "b": 2, "c": 3}
    jsonschema.validate(answer, out)
    jsonschema.validate(answer, schema)
    guarded = {"not": {"type": "null"}, "dependencies": {"a": ["b"]}}
    assert require_dependencies(guarded) == (guarded, 0)


def test_few_shot_examples_in_the_instruction_become_earlier_turns() -> None:
    system = ("Extract the name. Output JSON.\nExamples:\nQ: I am Jane Roe\nA:{\"name\":\"Jane Roe\"}\n"
              "Q: Call me Sam Poe\nA:{\"name\":\"Sam Poe\"}")
    req = chat("json_object")
    req.messages[0] = Message("system", [Part(text=system)])
    text = build_prompt(req).text
    assert "Examples:" not in text and "Q:" not in text
    assert text.endswith("Instruction: Extract the name. Output JSON.\nInput: I am Jane Roe\n"
                         "Output: {\"name\":\"Jane Roe\"}\n"
                         "\nInput: Call me Sam Poe\nOutput: {\"name\":\"Sam Poe\"}\n\nInput: I am Alex Brown.\nOutput:")
    assert split_shots("Q: no answer follows") == ("Q: no answer follows", [])


def keys_of(text: str) -> tuple[str, ...]:
    plan = key_plan([text])
    return plan.keys if plan else ()


def test_keys_are_read_from_what_the_instruction_spells_out() -> None:
    assert keys_of("Extract travel_date, train, seat and price. Return JSON.") == ("travel_date", "train", "seat",
                                                                                 "price")
    assert key_hint(key_plan(["提取姓名(name)、年龄(age)，以JSON格式返回。"])).endswith("fields: name, age.")
    assert keys_of("Extract the person's name, age, email and city. Return JSON.") == ("name", "age", "email", "city")
    assert keys_of("Extract the name and age and return the information in JSON format.") == ("name", "age")
    assert keys_of("Reply in JSON. Mention apples, pears and plums.") == ()  # no cue: not a list of fields
    assert keys_of("Return JSON: {\"ticket_id\": string, \"device\": string}") == ("ticket_id", "device")
    assert keys_of("输出JSON对象，包含以下键：\n- event_name：活动名称\n- date：日期") == ("event_name", "date")
    assert keys_of("请提取菜名、份数和烹饪时间，用JSON输出。") == ("菜名", "份数", "烹饪时间")  # keys as written
    assert key_hint(None) == ""


def test_a_multi_word_field_name_is_one_key() -> None:
    assert keys_of("Extract the product, quantity and unit price. Return JSON.") == ("product", "quantity",
                                                                                   "unit_price")
    assert keys_of("Extract bank, account_last4, amount and date from the SMS. Return JSON.") == (
        "bank", "account_last4", "amount", "date")  # the list ends at 'from'
    # identifiers win over the prose that describes the same fields
    assert keys_of("Extract the dish name and the oven temperature. Return JSON with dish, oven_temp.") == (
        "dish", "oven_temp")


def test_json_object_prompt_names_keys_from_the_users_words_too() -> None:
    """The reference's image example puts its instruction beside the image, in the user message."""
    req = ChatRequest("compatible", "qwen3-vl-plus", [Message("user", [
        Part(text="Extract invoice_code and invoice_number from the image. Output a JSON object.")])],
        mode="json_object")
    prompt = build_prompt(req)
    assert prompt.plan is not None and prompt.plan.keys == ("invoice_code", "invoice_number")
    assert "fields: invoice_code, invoice_number." in prompt.text


def test_key_plan_groups_fields_under_the_noun_before_their_parentheses() -> None:
    """The reference's image example: two lists of objects, each with the fields named in its parentheses, named
    as the instruction names its containers ("a JSON object that contains the ticket and invoice arrays")."""
    plan = key_plan(["Extract the ticket information (array type, including travel_date, trains, seat_num, "
                     "arrival_site, and price) and the invoice information (including invoice_code and "
                     "invoice_number) from the image. Output a JSON object that contains the ticket and invoice "
                     "arrays."])
    assert plan is not None and plan.lists
    assert plan.groups == {"ticket": ("travel_date", "trains", "seat_num", "arrival_site", "price"),
                           "invoice": ("invoice_code", "invoice_number")}
    assert plan.top == ("ticket", "invoice")
    assert plan.for_object("ticket", 3) == plan.groups["ticket"] and plan.for_object("other", 2) == ()
    assert key_hint(plan).endswith("fields: ticket (a list of objects with travel_date, trains, seat_num, "
                                   "arrival_site, price), invoice (a list of objects with invoice_code, "
                                   "invoice_number).")
    flat = key_plan(["提取姓名(name)、年龄(age)，以JSON格式返回。"])  # one identifier a parenthesis: no group
    assert flat is not None and flat.groups == {} and flat.for_object("x", 3) == ("name", "age")
    assert key_plan(["Reply in JSON."]) is None
    unnamed = key_plan(["Extract the order details (including order_id and total). Return JSON."])
    assert unnamed is not None and unnamed.groups == {"order": ("order_id", "total")} and not unnamed.lists




def test_plain_mode_is_shown_a_chat_style_example() -> None:
    """Issue 15: the offline plain answer behaves like the reference's chat models. Its worked example answers
    at length, and answers a request for JSON with a sentence and a fenced block, not bare JSON."""
    prompt = build_prompt(chat("none"))
    example = prompt.text[: prompt.text.index("Instruction: Extract the name as JSON.")]
    assert len(example.split("Output:\n")[1].split("\n")[0].split()) >= 40  # an answer of several sentences
    assert "```json\n{" in example and example.count("```") == 2
    assert "\n\n\n" not in example.rstrip("\n")  # no stop of plain mode inside the example itself
    assert "\nInput:" in prompt.stop and build_prompt(chat("json_object")).stop == []
