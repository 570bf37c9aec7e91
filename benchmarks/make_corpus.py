"""Write N realistic raw files for benchmarks and scale tests.

    python benchmarks/make_corpus.py OUT_DIR --files 10000 [--seed 0] [--bad-share 0.03]

Each file looks like a scraped page: an optional ` date YYYY-MM-DD <text>` header (banner,
title or lead), site boilerplate of trend.az / day.az / report.az / azertac style in the page's
language, and a body of 3-12 paragraphs in English, Azerbaijani or Russian (some English
paragraphs carry an Azerbaijani quote). Sentences are recombined from the pools below with
varying numbers and names, so files are distinct. A share of files is bad on purpose: empty,
binary, undecodable, duplicated under another name, UTF-16 or cp1251 encoded, CRLF.
Deterministic for a given seed.
"""

from __future__ import annotations

import argparse
import codecs
import random
from datetime import date, timedelta
from pathlib import Path

EN = [
    "The delegation discussed cooperation in energy, transport and digital technologies.",
    "According to the ministry, trade turnover between the two countries grew by {n} percent.",
    "The agreement covers the construction of {n} kilometres of new railway lines.",
    "Officials noted that the Middle Corridor has become a key route between Asia and Europe.",
    "The forum brought together {n} companies from the region and beyond.",
    "Analysts expect investment in renewable energy to reach {n} million dollars next year.",
    "The parties signed a memorandum on cooperation in agriculture and food security.",
    "He stressed that the project would create about {n} new jobs in the region.",
    "The central bank kept its refinancing rate unchanged at {n} percent.",
    "Exports of non-oil products rose to {n} million dollars in the first half of the year.",
    "The minister said that talks with international partners would continue in {city}.",
    "A new terminal with a capacity of {n} thousand containers will open at the port.",
]
AZ = [
    "Tərəflər enerji, nəqliyyat və rəqəmsal texnologiyalar sahəsində əməkdaşlığı müzakirə ediblər.",
    "Nazirliyin məlumatına görə, iki ölkə arasında ticarət dövriyyəsi {n} faiz artıb.",
    "Layihə çərçivəsində {n} kilometr yeni dəmir yolu xəttinin çəkilməsi nəzərdə tutulur.",
    "Rəsmilər bildiriblər ki, Orta Dəhliz Asiya ilə Avropa arasında əsas marşruta çevrilib.",
    "Forumda regiondan və digər ölkələrdən {n} şirkət iştirak edib.",
    "Ekspertlərin fikrincə, bərpa olunan enerjiyə investisiyalar gələn il {n} milyon dollara çatacaq.",
    "Görüşdə kənd təsərrüfatı və ərzaq təhlükəsizliyi sahəsində memorandum imzalanıb.",
    "O qeyd edib ki, layihə regionda təxminən {n} yeni iş yeri yaradacaq.",
    "Mərkəzi Bank uçot dərəcəsini {n} faiz səviyyəsində saxlayıb.",
    "Qeyri-neft məhsullarının ixracı ilin birinci yarısında {n} milyon dollara çatıb.",
    "Nazir bildirib ki, beynəlxalq tərəfdaşlarla danışıqlar {city} şəhərində davam edəcək.",
    "Limanda illik tutumu {n} min konteyner olan yeni terminal istifadəyə veriləcək.",
]
RU = [
    "Стороны обсудили сотрудничество в сфере энергетики, транспорта и цифровых технологий.",
    "По данным министерства, товарооборот между двумя странами вырос на {n} процентов.",
    "Соглашение предусматривает строительство {n} километров новых железнодорожных линий.",
    "Официальные лица отметили, что Средний коридор стал ключевым маршрутом между Азией и Европой.",
    "В форуме приняли участие {n} компаний из региона и других стран.",
    "По оценкам аналитиков, инвестиции в возобновляемую энергетику достигнут {n} миллионов долларов.",
    "Стороны подписали меморандум о сотрудничестве в области сельского хозяйства.",
    "Он подчеркнул, что проект создаст около {n} новых рабочих мест в регионе.",
    "Центральный банк сохранил учетную ставку на уровне {n} процентов.",
    "Экспорт ненефтяной продукции в первом полугодии составил {n} миллионов долларов.",
    "Министр заявил, что переговоры с международными партнерами продолжатся в городе {city}.",
    "В порту откроется новый терминал мощностью {n} тысяч контейнеров в год.",
]
CITIES = ["Baku", "Ganja", "Astana", "Tbilisi", "Ankara", "Tashkent", "Sumgait", "Shusha"]
AZ_MONTHS = "yanvar fevral mart aprel may iyun iyul avqust sentyabr oktyabr noyabr dekabr".split()
RU_MONTHS = (
    "января февраля марта апреля мая июня июля августа сентября октября ноября декабря".split()
)
EN_MONTHS = (
    "January February March April May June July August September October November December".split()
)


def _sentence(rng: random.Random, pool: list[str]) -> str:
    return rng.choice(pool).format(n=rng.randint(2, 9999), city=rng.choice(CITIES))


def _title(rng: random.Random, pool: list[str]) -> str:
    """A headline with a number in it: real sites do not repeat headlines across pages."""
    return _sentence(rng, [s for s in pool if "{n}" in s]).rstrip(".")


def _paragraph(rng: random.Random, pool: list[str]) -> str:
    """1-4 sentences, at least one with a number, so paragraphs do not repeat across files."""
    numbered = [s for s in pool if "{n}" in s]
    sentences = [_sentence(rng, numbered)] + [
        _sentence(rng, pool) for _ in range(rng.randint(0, 3))
    ]
    rng.shuffle(sentences)
    return " ".join(sentences)


def trend_en(rng: random.Random, d: date) -> str:
    title = _title(rng, EN)
    author = rng.choice(["Ali Gasimov", "Sabina Mammadova", "Nigar Abbasova", "Elnur Baghishov"])
    paras = [_paragraph(rng, EN) for _ in range(rng.randint(3, 10))]
    if rng.random() < 0.3:
        paras.insert(2, f'"{_sentence(rng, AZ)}" he said.')
    paras[0] = f"BAKU, Azerbaijan, {EN_MONTHS[d.month - 1]} {d.day}. " + paras[0]
    header = rng.choice(["Vətən müharibəsinin Anım Günü", title, paras[0], "Trend News Agency"])
    lines = [
        f" date {d.isoformat()} {header}",
        "...",
        "  1. Home",
        "  2. Azerbaijan",
        "  3. Politics",
        "",
        title,
        "",
        f"Politics Materials {d.day} {EN_MONTHS[d.month - 1]} {d.year} {rng.randint(8, 23)}:{rng.randint(10, 59)} (UTC +04:00)",
        title,
        "",
        "Follow Trend on",
        "",
        author,
        author,
        "Read more",
        "",
        *(p + "\n" for p in paras),
        "Stay up-to-date with more news on Trend News Agency's WhatsApp channel",
        "",
        "Tags:",
        "Latest",
        "",
        "Latest",
        "",
        "Read more",
    ]
    return "\n".join(lines)


def trend_az(rng: random.Random, d: date) -> str:
    title = _title(rng, AZ)
    paras = [_paragraph(rng, AZ) for _ in range(rng.randint(3, 10))]
    paras[0] = "Bakı. Trend: " + paras[0]
    lines = [
        f" date {d.isoformat()} {rng.choice(['Trend Xəbər Agentliyi', title])}",
        "...",
        "  1. Xəbərlər",
        "  2. İqtisadiyyat",
        "",
        title,
        "",
        f"İqtisadiyyat Materiallar {d.day} {AZ_MONTHS[d.month - 1]} {d.year} {rng.randint(8, 23)}:{rng.randint(10, 59)} (UTC +04:00)",
        title,
        "",
        "Trend-i izləyin",
        "",
        *(p + "\n" for p in paras),
        "Trend-in WhatsApp kanalına abunə olun və ən son xəbərləri izləyin",
        "",
        "Teqlər:",
        "Son xəbərlər",
    ]
    return "\n".join(lines)


def day_ru(rng: random.Random, d: date) -> str:
    title = _title(rng, RU)
    paras = [_paragraph(rng, RU) for _ in range(rng.randint(3, 10))]
    paras[0] = f"Баку, {d.day} {RU_MONTHS[d.month - 1]}, АЗЕРТАДЖ. " + paras[0]
    lines = [
        f" date {d.isoformat()} Day.Az - Новости Азербайджана",
        "Главная",
        "Экономика",
        f"{d.day} {RU_MONTHS[d.month - 1]} {d.year}, {rng.randint(8, 23)}:{rng.randint(10, 59)}",
        title,
        "",
        title,
        "",
        *(p + "\n" for p in paras),
        "Фото: АЗЕРТАДЖ",
        "",
        "Заметили ошибку в тексте? Выделите её и нажмите Ctrl + Enter",
        "",
        "Последние новости",
        "Лента новостей",
    ]
    return "\n".join(lines)


def report_en(rng: random.Random, d: date) -> str:
    title = _title(rng, EN)
    paras = [_paragraph(rng, EN) for _ in range(rng.randint(3, 8))]
    lines = [
        f" date {d.isoformat()} {title}",
        title,
        f"{d.day} {EN_MONTHS[d.month - 1]} {d.year} {rng.randint(8, 23)}:{rng.randint(10, 59)}",
        "Business",
        "",
        *(p + "\n" for p in paras),
        "Follow us on Twitter @Reportaz",
        "Read more",
    ]
    return "\n".join(lines)


KINDS = [(trend_en, 0.4), (trend_az, 0.25), (day_ru, 0.2), (report_en, 0.15)]


def make_page(rng: random.Random) -> str:
    d = date(2024, 1, 1) + timedelta(days=rng.randint(0, 700))
    kind = rng.choices([k for k, _ in KINDS], weights=[w for _, w in KINDS])[0]
    return kind(rng, d) + "\n"


def write_corpus(out: Path, files: int, seed: int = 0, bad_share: float = 0.03) -> dict[str, int]:
    rng = random.Random(seed)
    counts: dict[str, int] = {}
    previous: bytes | None = None
    for i in range(files):
        sub = out / f"{i // 1000:03d}"
        sub.mkdir(parents=True, exist_ok=True)
        path = sub / f"{i:07d}.txt"
        r = rng.random()
        text = make_page(rng)
        if r < bad_share * 0.25:
            kind, data = "empty", b""
        elif r < bad_share * 0.4:
            kind, data = "binary", bytes(rng.randrange(256) for _ in range(512)) + b"\x00" * 64
        elif r < bad_share * 0.5:
            kind, data = "undecodable", bytes(range(128, 256)) * 4
        elif r < bad_share * 0.75 and previous is not None:
            kind, data = "duplicate", previous
        elif r < bad_share * 0.85:
            kind, data = "utf16", codecs.BOM_UTF16_LE + text.encode("utf-16-le")
        elif r < bad_share:
            kind, data = "crlf", text.replace("\n", "\r\n").encode("utf-8")
        else:
            kind, data = "good", text.encode("utf-8")
        path.write_bytes(data)
        if kind == "good":
            previous = data
        counts[kind] = counts.get(kind, 0) + 1
    return counts


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("out", type=Path)
    parser.add_argument("--files", type=int, default=1000)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--bad-share", type=float, default=0.03)
    args = parser.parse_args()
    counts = write_corpus(args.out, args.files, args.seed, args.bad_share)
    print(f"wrote {args.files} files to {args.out}: {counts}")


if __name__ == "__main__":
    main()
