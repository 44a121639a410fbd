"""Writes bench/quality_cases.json: the reference's extraction examples plus our own set. Kept as a
script so the cases stay readable and the schemas are shared, not pasted 40 times."""

from __future__ import annotations

import json
from pathlib import Path

PERSON = {"type": "object", "properties": {"name": {"type": "string"}, "age": {"type": "integer"},
                                           "email": {"type": "string"}},
          "required": ["name", "age"], "additionalProperties": False}
PERSON_FULL = {"type": "object", "properties": {"name": {"type": "string"}, "age": {"type": "integer"},
                                                "email": {"type": "string"}, "city": {"type": "string"}},
               "required": ["name", "age", "email", "city"], "additionalProperties": False}
TICKET = {"type": "object", "properties": {
    "travel_date": {"type": "string"}, "train": {"type": "string"}, "seat": {"type": "string"},
    "from": {"type": "string"}, "to": {"type": "string"}, "price": {"type": "number"}},
    "required": ["travel_date", "train", "seat", "from", "to", "price"], "additionalProperties": False}
INVOICE = {"type": "object", "properties": {
    "invoice_number": {"type": "string"}, "date": {"type": "string"}, "seller": {"type": "string"},
    "total": {"type": "number"}}, "required": ["invoice_number", "date", "seller", "total"],
    "additionalProperties": False}
PRODUCT = {"type": "object", "properties": {
    "product": {"type": "string"}, "brand": {"type": "string"}, "price": {"type": "number"},
    "currency": {"type": "string"}}, "required": ["product", "brand", "price", "currency"],
    "additionalProperties": False}

SYS_PERSON = "Extract the person's name, age, email and city. Return the information in JSON format."
SYS_PERSON_ZH = "提取姓名(name)、年龄(age)、邮箱(email)和城市(city)，以JSON格式返回。"
SYS_TICKET = "Extract the train ticket: travel_date, train, seat, from, to and price. Return JSON."
SYS_INVOICE = "Extract the invoice_number, date, seller and total from the invoice. Return JSON."
SYS_PRODUCT = "Extract the product name, brand, price and currency. Return JSON."


def case(family: str, lang: str, system: str, user: str, schema: dict, expected: dict, source: str = "own",
         model: str = "qwen-plus") -> dict:
    return {"family": family, "lang": lang, "source": source, "model": model, "system": system, "user": user,
            "schema": schema, "expected": expected}


REFERENCE = [
    case("people", "en", "Extract the name and age and return the information in JSON format.",
         "Hello everyone, my name is Alex Brown. I am 34 years old. My email is alexbrown@example.com. "
         "I enjoy playing basketball and traveling.", PERSON, {"name": "Alex Brown", "age": 34},
         "reference: Getting started", "qwen-flash"),
    case("people", "en",
         "You need to extract the name (string), age (string), and email (string). Output a JSON string. "
         "Do not output any other content.\nExamples:\nQ: My name is John Doe, I am 25 years old, and my email "
         "is johndoe@example.com\nA:{\"name\":\"John Doe\",\"age\":\"25 years old\",\"email\":"
         "\"johndoe@example.com\"}\nQ: My name is Jane Smith, I am 30 years old, and my email is "
         "janesmith@example.com\nA:{\"name\":\"Jane Smith\",\"age\":\"30 years old\",\"email\":"
         "\"janesmith@example.com\"}\nQ: My name is Peter Jones, my email is peterjones@example.com, and I am 40 "
         "years old\nA:{\"name\":\"Peter Jones\",\"age\":\"40 years old\",\"email\":\"peterjones@example.com\"}",
         "Hello everyone, my name is Alex Brown, and I am 34 years old. My email is alexbrown@example.com",
         {"type": "object", "properties": {"name": {"type": "string"}, "age": {"type": "string"},
                                           "email": {"type": "string"}},
          "required": ["name", "age", "email"], "additionalProperties": False},
         {"name": "Alex Brown", "age": "34", "email": "alexbrown@example.com"}, "reference: curl few-shot"),
    case("people", "en", "Extract the name and age information.", "My name is Alex Brown, and I am 25 years old.",
         PERSON, {"name": "Alex Brown", "age": 25}, "reference: JSON Schema getting started"),
    case("people", "en", "Extract the name and age information. Reply in JSON.",
         "I am John Doe, 25 years old", PERSON, {"name": "John Doe", "age": 25}, "reference: Configuration guide"),
    case("tickets", "en",
         "Extract the ticket information (array type, including travel_date, trains, seat_num, arrival_site, and "
         "price) and the invoice information (including invoice_code and invoice_number) from the image. Output a "
         "JSON object that contains the ticket and invoice arrays.",
         "[image: receipt.png]",
         {"type": "object", "properties": {
             "ticket": {"type": "array", "items": {"type": "object", "properties": {
                 "travel_date": {"type": "string"}, "trains": {"type": "string"}, "seat_num": {"type": "string"},
                 "arrival_site": {"type": "string"}, "price": {"type": "string"}},
                 "required": ["travel_date", "trains", "seat_num", "arrival_site", "price"],
                 "additionalProperties": False}},
             "invoice": {"type": "array", "items": {"type": "object", "properties": {
                 "invoice_code": {"type": "string"}, "invoice_number": {"type": "string"}},
                 "required": ["invoice_code", "invoice_number"], "additionalProperties": False}}},
          "required": ["ticket", "invoice"], "additionalProperties": False},
         {"travel_date": "2013-06-29", "seat_num": "371", "arrival_site": "Development Zone", "price": "8.00",
          "invoice_code": "221021325353", "invoice_number": "10283819"},
         "reference: Image and video data processing", "qwen3-vl-plus"),
]

PEOPLE = [
    ("Hi, I'm Maria Garcia, 28, reachable at maria.garcia@mail.com. I live in Madrid.",
     {"name": "Maria Garcia", "age": 28, "email": "maria.garcia@mail.com", "city": "Madrid"}),
    ("This is Tom Lee speaking. I turned 45 this spring. Write to tom.lee@corp.io. Based in Chicago.",
     {"name": "Tom Lee", "age": 45, "email": "tom.lee@corp.io", "city": "Chicago"}),
    ("Name: Priya Patel; Age: 31; Email: priya.p@example.org; City: Mumbai",
     {"name": "Priya Patel", "age": 31, "email": "priya.p@example.org", "city": "Mumbai"}),
    ("Good morning! My name is Lukas Schmidt and I am 52 years old. You can email me at lukas@schmidt.de. "
     "I come from Berlin.", {"name": "Lukas Schmidt", "age": 52, "email": "lukas@schmidt.de", "city": "Berlin"}),
    ("Sophie Martin here, 19 years old, student in Paris, sophie.martin@univ.fr",
     {"name": "Sophie Martin", "age": 19, "email": "sophie.martin@univ.fr", "city": "Paris"}),
    ("I am Kenji Tanaka from Osaka. Age 37. Contact: kenji.tanaka@jp.net",
     {"name": "Kenji Tanaka", "age": 37, "email": "kenji.tanaka@jp.net", "city": "Osaka"}),
    ("Our new hire is Olivia Brown (olivia.brown@acme.com), 26, joining the Toronto office.",
     {"name": "Olivia Brown", "age": 26, "email": "olivia.brown@acme.com", "city": "Toronto"}),
    ("Ahmed Hassan, aged 60, lives in Cairo; email ahmed.hassan@nile.eg.",
     {"name": "Ahmed Hassan", "age": 60, "email": "ahmed.hassan@nile.eg", "city": "Cairo"}),
]
PEOPLE_ZH = [
    ("大家好，我叫张伟，今年29岁，邮箱是zhangwei@example.cn，住在北京。",
     {"name": "张伟", "age": 29, "email": "zhangwei@example.cn", "city": "北京"}),
    ("我是李娜，35岁，来自上海。联系邮箱：lina@mail.cn",
     {"name": "李娜", "age": 35, "email": "lina@mail.cn", "city": "上海"}),
    ("姓名：王芳，年龄：41，邮箱：wangfang@163.com，城市：广州",
     {"name": "王芳", "age": 41, "email": "wangfang@163.com", "city": "广州"}),
    ("你好，我叫陈明，22岁，是深圳的一名学生，邮箱chenming@qq.com。",
     {"name": "陈明", "age": 22, "email": "chenming@qq.com", "city": "深圳"}),
    ("刘洋今年50岁，住在成都，他的邮箱是liuyang@sina.com。",
     {"name": "刘洋", "age": 50, "email": "liuyang@sina.com", "city": "成都"}),
    ("本人赵磊，33岁，杭州人，邮箱 zhaolei@alibaba-inc.com",
     {"name": "赵磊", "age": 33, "email": "zhaolei@alibaba-inc.com", "city": "杭州"}),
]
TICKETS = [
    ("Train ticket. Date: 2024-03-15. Train G102. Seat 05A. From Beijing South to Shanghai Hongqiao. Price 553.00",
     {"travel_date": "2024-03-15", "train": "G102", "seat": "05A", "from": "Beijing South", "to": "Shanghai Hongqiao",
      "price": 553.0}),
    ("TICKET  2023-11-02  D2281  Seat 12F  Wuhan -> Chengdu East  Fare 263.50",
     {"travel_date": "2023-11-02", "train": "D2281", "seat": "12F", "from": "Wuhan", "to": "Chengdu East",
      "price": 263.5}),
    ("Eurostar 9014, 2025-06-20, coach 7 seat 61, London St Pancras to Paris Nord, EUR 89.00",
     {"travel_date": "2025-06-20", "train": "9014", "seat": "61", "from": "London St Pancras", "to": "Paris Nord",
      "price": 89.0}),
    ("Date 2022-01-09 | Train K1234 | Seat 88 | Guangzhou to Changsha | Price 120.00",
     {"travel_date": "2022-01-09", "train": "K1234", "seat": "88", "from": "Guangzhou", "to": "Changsha",
      "price": 120.0}),
    ("车票 2024-02-08 G1 次 08车03C号 北京南站 至 上海虹桥站 票价 ￥604.00",
     {"travel_date": "2024-02-08", "train": "G1", "seat": "08车03C号", "from": "北京南站", "to": "上海虹桥站",
      "price": 604.0}),
    ("2023-09-30 C2035 二等座 10车15D 天津 至 北京南 ￥54.50",
     {"travel_date": "2023-09-30", "train": "C2035", "seat": "10车15D", "from": "天津", "to": "北京南", "price": 54.5}),
    ("Ticket for 2021-12-24, train ICE 577, seat 42, Frankfurt to Munich, price 79.90",
     {"travel_date": "2021-12-24", "train": "ICE 577", "seat": "42", "from": "Frankfurt", "to": "Munich",
      "price": 79.9}),
    ("Shinkansen Nozomi 21, 2024-04-01, car 8 seat 12E, Tokyo to Kyoto, 14170",
     {"travel_date": "2024-04-01", "train": "Nozomi 21", "seat": "12E", "from": "Tokyo", "to": "Kyoto",
      "price": 14170}),
]
INVOICES = [
    ("INVOICE No. INV-2024-0042, dated 2024-05-17, from Blue Ocean Supplies Ltd. Total due: 1,250.00 USD",
     {"invoice_number": "INV-2024-0042", "date": "2024-05-17", "seller": "Blue Ocean Supplies Ltd.", "total": 1250.0}),
    ("Invoice 10283819 issued 2013-06-29 by Dalian Railway Bureau, amount 8.00",
     {"invoice_number": "10283819", "date": "2013-06-29", "seller": "Dalian Railway Bureau", "total": 8.0}),
    ("Seller: Green Leaf Cafe. Invoice #A-7781. Date: 2023-08-03. Total: 36.40",
     {"invoice_number": "A-7781", "date": "2023-08-03", "seller": "Green Leaf Cafe", "total": 36.4}),
    ("Bill number 55012 from Nordic Tools AB on 2022-10-11, grand total 4999.00 SEK",
     {"invoice_number": "55012", "date": "2022-10-11", "seller": "Nordic Tools AB", "total": 4999.0}),
    ("发票号码：04417391 开票日期：2024-01-12 销售方：杭州云端科技有限公司 价税合计：3390.00",
     {"invoice_number": "04417391", "date": "2024-01-12", "seller": "杭州云端科技有限公司", "total": 3390.0}),
    ("销售方：上海味道餐饮有限公司，发票号码 88230156，日期 2023-12-31，合计 268.00元",
     {"invoice_number": "88230156", "date": "2023-12-31", "seller": "上海味道餐饮有限公司", "total": 268.0}),
    ("Tax invoice TI-0099 / 2025-02-28 / Sunrise Solar Pty Ltd / total 12,800.00 AUD",
     {"invoice_number": "TI-0099", "date": "2025-02-28", "seller": "Sunrise Solar Pty Ltd", "total": 12800.0}),
]
PRODUCTS = [
    ("The new Apple iPhone 15 Pro costs 999 USD.",
     {"product": "iPhone 15 Pro", "brand": "Apple", "price": 999, "currency": "USD"}),
    ("Sony WH-1000XM5 headphones, now only 349.99 EUR!",
     {"product": "WH-1000XM5", "brand": "Sony", "price": 349.99, "currency": "EUR"}),
    ("Buy the Dyson V15 Detect vacuum for GBP 599.",
     {"product": "V15 Detect", "brand": "Dyson", "price": 599, "currency": "GBP"}),
    ("Nike Air Zoom Pegasus 40 running shoes — price: 130 USD",
     {"product": "Air Zoom Pegasus 40", "brand": "Nike", "price": 130, "currency": "USD"}),
    ("华为 Mate 60 Pro 手机，售价 6999 元人民币（CNY）。",
     {"product": "Mate 60 Pro", "brand": "华为", "price": 6999, "currency": "CNY"}),
    ("小米 手环 8，价格 249 CNY",
     {"product": "手环 8", "brand": "小米", "price": 249, "currency": "CNY"}),
    ("LEGO Millennium Falcon set 75192, listed at 849.99 USD",
     {"product": "Millennium Falcon", "brand": "LEGO", "price": 849.99, "currency": "USD"}),
]


def main() -> None:
    cases = list(REFERENCE)
    cases += [case("people", "en", SYS_PERSON, u, PERSON_FULL, e) for u, e in PEOPLE]
    cases += [case("people", "zh", SYS_PERSON_ZH, u, PERSON_FULL, e) for u, e in PEOPLE_ZH]
    cases += [case("tickets", "zh" if any("\u4e00" <= c <= "\u9fff" for c in u) else "en", SYS_TICKET, u, TICKET, e)
              for u, e in TICKETS]
    cases += [case("invoices", "zh" if any("\u4e00" <= c <= "\u9fff" for c in u) else "en", SYS_INVOICE, u, INVOICE,
                   e) for u, e in INVOICES]
    cases += [case("products", "zh" if any("\u4e00" <= c <= "\u9fff" for c in u) else "en", SYS_PRODUCT, u,
                   PRODUCT, e) for u, e in PRODUCTS]
    for i, c in enumerate(cases):
        c["id"] = f"{c['family']}-{i:02d}"
    out = Path(__file__).with_name("quality_cases.json")
    out.write_text(json.dumps(cases, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
    print(f"{len(cases)} cases ({len(REFERENCE)} from the reference) written to {out}")


if __name__ == "__main__":
    main()
