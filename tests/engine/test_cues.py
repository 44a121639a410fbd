"""The cues nudge of ``local_engine.steering``: where a value starts, the places of the input whose
neighbourhood names the key being filled are favoured, and places that name another key of the answer
more are disfavoured; in English and in Chinese, from identifiers, the instruction's own names and a
schema's descriptions."""

from __future__ import annotations

import numpy as np

from local_engine.guards import JsonShape
from local_engine.steering import Plan, Steerer, cue_words, read_plan, schema_cues

PIECES = [b'"', b"Price", b"3", b"2", b"1", b"565", b"200", b"6", b"18", b"Faith", b"Kenyan", b"Maple", b"\xe5\x8f\x91"]
LISTING = "For sale: 18 Maple Drive, Denver. 3 bedrooms, 2 bathrooms, 1,850 sq ft, asking $565,000."
KEYS = ("address", "price", "bedrooms", "bathrooms", "area_sqft")


def biases(text: str, source: str, cues: dict[str, tuple[str, ...]]) -> dict[bytes, float]:
    shape = JsonShape()
    shape.feed_bytes(text.encode())
    logits = np.zeros(len(PIECES))
    Steerer(PIECES).apply(shape, logits, Plan(source=source, cues=cues))
    return {p: float(v) for p, v in zip(PIECES, logits, strict=True)}


def test_a_number_starts_where_the_input_names_its_key_not_where_it_names_another() -> None:
    cues = {k: cue_words(k) for k in KEYS}
    bedrooms = biases('{"address": "18 Maple Drive", "bedrooms": ', LISTING, cues)
    assert bedrooms[b"3"] > bedrooms[b"2"]  # "3 bedrooms"; the 2 is the bathrooms'
    bathrooms = biases('{"bathrooms": ', LISTING, cues)
    assert bathrooms[b"2"] > bathrooms[b"3"]
    price = biases('{"price": ', LISTING, cues)
    assert price[b"565"] > 0  # beside a currency sign: a money key's place
    assert price[b"3"] < 0 and price[b"2"] < 0  # those name other keys
    assert price[b"565"] > price[b"18"]


def test_chinese_keys_match_the_characters_around_a_place() -> None:
    plan = read_plan(["请把违章通知整理成JSON：车牌号、违章时间、违章地点、罚款金额、扣分。"],
                     "您的车辆浙A12345于2025年3月9日在杭州市文一西路超速行驶，罚款200元，记6分。")
    points = biases('{"扣分": ', plan.source, plan.cues)
    assert points[b"6"] > 0 and points[b"6"] > points[b"200"]  # 记6分
    fine = biases('{"罚款金额": ', plan.source, plan.cues)
    assert fine[b"200"] > 0 and fine[b"200"] > fine[b"6"]  # 罚款200元


def test_a_string_value_starts_after_the_word_that_names_it() -> None:
    src = "Kenyan runner Faith Kipyegon won the 1500m."
    cues = {"runner_name": cue_words("runner_name"), "race": cue_words("race")}
    got = biases('{"runner_name": "', src, cues)
    assert got[b"Faith"] > got[b"Kenyan"] > 0


def test_a_value_does_not_start_with_its_own_label() -> None:
    src = "Price: 15,900 EUR. Maple wood finish."
    cues = {"price": cue_words("price"), "finish": cue_words("finish")}
    got, without = biases('{"price": "', src, cues), biases('{"price": "', src, {})
    assert got[b"Price"] <= without[b"Price"]  # the label gets no cue of its own
    assert got[b"1"] > without[b"1"] and got[b"1"] > got[b"Price"]


def test_a_time_key_leans_towards_a_time_and_chance_characters_do_not_count() -> None:
    src = "Kenyan runner Faith Kipyegon won the 1500m in 3:49.04, finishing in 1st place."
    cues = {"finishing_time": cue_words("finishing_time"), "position": cue_words("position")}
    assert biases('{"finishing_time": ', src, cues)[b"3"] > 0
    # 运 of 全运会 is one character of 运动员 far from the number: chance, no cue
    plan = read_plan(["把下面的成绩整理成JSON：运动员、项目、成绩、名次。"],
                     "全运会男子100米决赛，苏炳添以9秒95的成绩获得第一名。")
    athlete = biases('{"运动员": "', plan.source, plan.cues)
    assert athlete[b"1"] == biases('{"运动员": "', plan.source, {})[b"1"]


def test_cue_words_come_from_identifiers_the_instruction_and_the_schema() -> None:
    assert cue_words("monthlyRent") == ("monthly", "rent")
    assert cue_words("area_sqft") == ("area", "sqft")
    plan = read_plan(["提取比赛信息，字段：主队(home_team)、客队(away_team)、比分(score)、场馆(venue)，返回JSON。"])
    assert plan.cues["score"] == ("score", "比分")  # the instruction's own name for the key
    schema = {"type": "object", "properties": {
        "rent": {"type": "integer", "description": "The monthly rent in EUR"},
        "rooms": {"type": "array", "items": {"type": "object", "properties": {
            "label": {"type": "string", "title": "Room name"}}}}}}
    cues = schema_cues(schema)
    assert cues["rent"][:3] == ("rent", "monthly", "eur")
    assert cues["label"] == ("label", "room", "name")  # a property at any depth


def test_nothing_is_nudged_without_cues_or_for_a_key_of_the_models_own() -> None:
    without = biases('{"price": ', LISTING, {})
    assert without[b"565"] == without[b"3"]
    cues = {k: cue_words(k) for k in KEYS}
    own = biases('{"colour": ', LISTING, cues)
    plain = biases('{"colour": ', LISTING, {})
    assert own == plain
