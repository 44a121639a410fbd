"""Yes-or-no fields (local_engine/polarity.py): which keys an instruction means as booleans, and what the
input's clause naming a key says of it, in English and Chinese."""

from __future__ import annotations

import pytest

from local_engine.polarity import boolean_keys, polarity
from local_engine.steering import cue_words, read_plan


@pytest.mark.parametrize(("instruction", "keys", "booleans"), [
    ("Return JSON with city, is_capital and population.", ["city", "is_capital", "population"], {"is_capital"}),
    ("Output JSON: sku, refundable (boolean), price (number).", ["sku", "refundable", "price"], {"refundable"}),
    ("Give sku, price (a number), gift_wrap and express as booleans.", ["sku", "price", "gift_wrap", "express"],
     {"gift_wrap", "express"}),
    ("JSON with the model, and true/false for waterproof and wireless.", ["model", "waterproof", "wireless"],
     {"waterproof", "wireless"}),
    ("Say whether smoking is allowed and whether breakfast is served.", ["smoking_allowed", "breakfast_served",
                                                                         "room"], {"smoking_allowed",
                                                                                   "breakfast_served"}),
    ("Return JSON with room, smoking_allowed (true or false).", ["room", "smoking_allowed"], {"smoking_allowed"}),
    ("字段：店名、营业时间、是否外卖、可刷卡（布尔值）。", ["店名", "营业时间", "是否外卖", "可刷卡"],
     {"是否外卖", "可刷卡"}),
    ("请提取姓名、是否会员。", ["姓名", "会员"], {"会员"}),
    ("Return JSON with city and population.", ["city", "population"], set()),
    ("Return JSON with hotel and rooms_available.", ["hotel", "rooms_available"], set()),  # a count, often
])
def test_boolean_keys_are_read_from_the_instruction(instruction: str, keys: list[str], booleans: set[str]) -> None:
    assert boolean_keys([instruction], keys) == booleans


@pytest.mark.parametrize(("text", "key", "says"), [
    ("The cabin has a sauna and a fireplace, but there is no dishwasher.", "has_dishwasher", -1.0),
    ("The cabin has a sauna and a fireplace, but there is no dishwasher.", "has_sauna", 1.0),
    ("Smoking isn't allowed anywhere in the building.", "smoking_allowed", -1.0),
    ("Breakfast is served from 7 to 10.", "breakfast_served", 1.0),
    ("The jacket is waterproof; it comes without a hood.", "hood", -1.0),
    ("本店支持外卖，不能刷卡。", "是否外卖", 1.0),
    ("本店支持外卖，不能刷卡。", "可刷卡", -2 / 3),
    ("会员价仅限会员，张三还没有办理会员。", "会员", 0.0),  # two clauses name it as well and disagree
    ("The parcel arrived on Monday.", "gift_wrap", 0.0),  # not named: the model decides
])
def test_polarity_follows_the_clause_that_names_the_key(text: str, key: str, says: float) -> None:
    assert polarity(text, cue_words(key)) == pytest.approx(says)


def test_a_list_of_booleans_runs_back_to_a_type_said_before_it() -> None:
    plan = read_plan(["Extract rent (number), parking and garden as booleans."], "Rent 900, with a garden.")
    assert plan.types == {"rent": "number", "parking": "boolean", "garden": "boolean"}


def test_the_steerer_leans_a_boolean_the_way_its_clause_says() -> None:
    """Where the grammar allows only a literal (a schema's boolean), ``true`` and ``false`` move apart as the
    clause naming the key says; a key the input does not name is left to the model."""
    import numpy as np

    from local_engine.guards import JsonShape
    from local_engine.steering import Plan, Steerer

    pieces = [b'"', b"1", b"true", b"false", b"t", b"f"]
    source = "Quiet street, no garage. The garden is large."
    cues = {k: cue_words(k) for k in ("garage", "garden", "pool")}

    def lean(prefix: str) -> float:
        shape = JsonShape()
        shape.feed_bytes(prefix.encode())
        logits = np.array([-np.inf, -np.inf, 0.0, 0.0, 0.0, 0.0])  # only the literals allowed
        Steerer(pieces).apply(shape, logits, Plan(source=source, cues=cues))
        assert logits[2] == logits[4] and logits[3] == logits[5]
        return float(logits[2] - logits[3])

    assert lean('{"garage": ') < 0
    assert lean('{"garage": false, "garden": ') > 0
    assert lean('{"pool": ') == 0
