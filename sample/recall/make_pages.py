"""Generate the bundled recall sample: small code, math and other web pages in English and Chinese.

Deterministic (the same seed gives the same bytes) and owned by the project: every sentence is written
here. Pages live on seed sites (the config's URL patterns), on code/math sites the seed does not name (the
loop must discover them), on a portal that mixes a tech folder with news (path annotation), and on general
sites with confusers ("dress code", "Python the snake", "一级方程式"). Each page carries its true label and
language in `meta` for evaluation; the classifier never reads them.

    python sample/recall/make_pages.py OUT_DIR [--scale N] [--seed S]

writes OUT_DIR/pages.jsonl (one Record per line) and OUT_DIR/labels.jsonl (text, label, lang, url).
"""
from __future__ import annotations

import argparse
import hashlib
import json
import random
from pathlib import Path

CODE, MATH, OTHER = "code", "math", "other"

# ---------------------------------------------------------------- shared vocabulary
WORDS = ["user", "order", "item", "node", "row", "record", "token", "event", "price", "key", "value", "path",
         "config", "buffer", "queue", "cache", "page", "entry", "score", "batch", "frame", "chunk", "item_id"]
LANGS = ["Python", "JavaScript", "Java", "C++", "Go", "Rust", "TypeScript", "C#", "PHP", "Kotlin"]
ERRORS = ["TypeError: 'NoneType' object is not subscriptable", "KeyError: 'id'", "a segmentation fault",
          "java.lang.NullPointerException", "IndexError: list index out of range", "an infinite loop",
          "ValueError: invalid literal for int() with base 10", "TypeError: undefined is not a function",
          "a deadlock", "a memory leak", "error[E0502]: cannot borrow as mutable", "UnicodeDecodeError"]
FUNCS = ["sorted()", "json.loads()", "Array.prototype.map", "std::sort", "itertools.groupby",
         "collections.Counter", "Object.assign", "str.join", "HashMap.get", "asyncio.gather",
         "re.compile", "functools.lru_cache", "Promise.all", "std::unordered_map", "pandas.merge"]


def ident(rnd: random.Random) -> str:
    return rnd.choice(WORDS) + rnd.choice(["", "s", "_list", "_map", "_count", "Id", "_idx"])


def code_block(rnd: random.Random, comment_zh: bool = False) -> str:
    fn = rnd.choice(["load", "parse", "group", "merge", "find", "build", "fetch", "count"]) + "_" + ident(rnd)
    a, x, key = ident(rnd), rnd.choice("xyvek"), rnd.choice(WORDS)
    n = rnd.randint(0, 9)
    comment = rnd.choice(["# 这里会报错", "# 结果不对", "# 去掉这一行就正常"]) if comment_zh else rnd.choice(
        ["# this line fails", "# returns the wrong result", "# works without this line"])
    templates = [
        (f"def {fn}({a}, limit=None):\n    result = []\n    for {x} in {a}:\n"
        f"        if {x}.get(\"{key}\") is not None:  {comment}\n            result.append({x}[\"{key}\"])\n"
        f"    return sorted(result, key=lambda v: v[{n}])[:limit]"),
        (f"const {fn} = async ({a}) => {{\n  const res = await fetch(`/api/{key}/${{{a}}}`);\n"
        f"  if (!res.ok) throw new Error(\"request failed: \" + res.status);\n"
        f"  return (await res.json()).map(({x}) => {x}.{key});  // {comment[2:]}\n}};"),
        (f"#include <vector>\n#include <algorithm>\n\nint {fn}(std::vector<int>& {a}) {{\n"
        f"    std::sort({a}.begin(), {a}.end());  // {comment[2:]}\n"
        f"    return {a}.empty() ? 0 : {a}[{a}.size() / {n + 2}];\n}}"),
        (f"public static Map<String, Integer> {fn}(List<String> {a}) {{\n"
        f"    Map<String, Integer> counts = new HashMap<>();\n"
        f"    for (String {x} : {a}) counts.merge({x}, 1, Integer::sum);  // {comment[2:]}\n"
        f"    return counts;\n}}"),
        f"SELECT {key}, COUNT(*) AS n\nFROM {a}\nWHERE {key}_id > {n * 10}\nGROUP BY {key}\nORDER BY n DESC;",
        (f"$ pip install {key}-tools=={n}.{rnd.randint(0, 20)}.0\n$ python -m {key}_tools --input {a}.csv\n"
        f"Traceback (most recent call last):\n  File \"main.py\", line {n + 3}, in <module>\n"
        f"{rnd.choice(ERRORS)}"),
        (f"fn {fn}({a}: &mut Vec<u32>) -> Option<u32> {{\n    {a}.sort_unstable();  // {comment[2:]}\n"
        f"    {a}.get({n}).copied()\n}}"),
    ]
    return rnd.choice(templates)


# ---------------------------------------------------------------- English
EN_VERBS = ["parse", "sort", "serialize", "merge", "filter", "iterate over", "cache", "reverse", "deduplicate",
            "validate", "stream", "compress", "flatten", "group", "paginate"]
EN_OBJS = ["a list of dicts", "a JSON response", "a CSV file", "a string", "a dataframe", "a linked list",
           "a hash map", "a binary tree", "a byte array", "a date string", "a config file", "an HTTP request",
           "a query result", "a nested dictionary", "an array of objects"]


def en_code_sentences(rnd: random.Random) -> list[str]:
    v, o, lang, err, f = rnd.choice(EN_VERBS), rnd.choice(EN_OBJS), rnd.choice(LANGS), rnd.choice(ERRORS), \
        rnd.choice(FUNCS)
    return [
        f"I'm trying to {v} {o} in {lang}, but I keep getting {err}.",
        f"When I run the snippet below, the output is empty instead of the {rnd.choice(WORDS)} values.",
        f"What is the idiomatic way to {v} {o} without copying it first?",
        "Here is a minimal example that reproduces the problem:",
        f"I already tried calling {f} on the result, which did not help.",
        f"The {err.split(':')[0]} happens because the variable is reassigned inside the loop.",
        f"Use {f} instead; it runs in linear time and does not allocate a new buffer.",
        f"Note that iterators in {lang} are lazy, so the second pass sees nothing.",
        f"You need to {v} {o} before passing it to the function, otherwise the types do not match.",
        f"This compiles with {lang} {rnd.randint(2, 20)} but fails on older versions of the compiler.",
        "Wrap the call in a try block and log the exception to see which key is missing.",
        f"Accepted answer: move the {rnd.choice(WORDS)} lookup out of the loop and return early.",
        "Time complexity is O(n log n) because of the sort; a heap gives O(n log k).",
        f"The documentation of {f} says the argument must be hashable.",
    ]


def en_math_sentences(rnd: random.Random) -> list[str]:
    a, b, c, n = rnd.randint(1, 9), rnd.randint(2, 12), rnd.randint(1, 30), rnd.randint(3, 50)
    structure = rnd.choice(["group", "ring", "finite field", "vector space", "metric space", "sequence",
                            "polynomial", "matrix", "triangle", "graph", "random variable"])
    theorem = rnd.choice(["mean value theorem", "Cauchy-Schwarz inequality", "pigeonhole principle",
                          "Fermat's little theorem", "AM-GM inequality", "intermediate value theorem",
                          "Bayes' theorem", "binomial theorem", "triangle inequality"])
    return [
        f"Let $G$ be a {structure} such that every element has order dividing ${b}$. Prove that it is abelian.",
        f"How do I compute the integral $\\int_0^{{{a}}} x^{b} e^{{-x}} \\, dx$ without integrating by parts?",
        f"Find all real numbers $x$ satisfying $x^2 - {a + b}x + {a * b} = 0$.",
        f"Suppose $f$ is continuous on $[{a}, {a + b}]$ and differentiable on $({a}, {a + b})$.",
        f"By the {theorem}, we have $\\sum_{{k=1}}^{{n}} k^2 \\le \\frac{{n(n+1)(2n+1)}}{{{b}}}$.",
        "Hint: consider the determinant of the matrix and use induction on $n$.",
        f"A train travels {c * 10} kilometers in {a} hours. What is its average speed in km/h?",
        f"The limit $\\lim_{{n\\to\\infty}} (1 + \\frac{{{a}}}{{n}})^n$ equals $e^{{{a}}}$.",
        f"Show that the {structure} is compact if and only if it is closed and bounded.",
        f"What is the probability that two dice show a sum of {rnd.randint(2, 12)}?",
        f"Therefore the eigenvalues are $\\lambda = {a}$ and $\\lambda = {b}$, and the proof is complete.",
        f"We proceed by contradiction: assume $\\sqrt{{{n}}}$ is rational.",
        f"The area of the triangle with sides {a + 2}, {b + 2} and {a + b + 1} follows from Heron's formula.",
        f"Every bounded monotone sequence converges, so the series converges by the {theorem}.",
    ]


def en_other_sentences(rnd: random.Random) -> list[str]:
    city = rnd.choice(["Lisbon", "Toronto", "Nairobi", "Osaka", "Lyon", "Denver", "Glasgow", "Perth"])
    n, p = rnd.randint(2, 90), rnd.randint(5, 400)
    return [
        f"The city council of {city} approved a new budget of {p} million dollars on Tuesday.",
        f"Preheat the oven to {150 + n} degrees and bake the bread for {n % 40 + 15} minutes.",
        f"The home team won {n % 5} to {n % 3} after a late goal in the second half.",
        f"Tickets for the festival in {city} start at {p} dollars and sell out quickly.",
        "The dress code for the evening is formal, and guests should arrive by seven.",
        "A python was found sleeping in a garden shed, and wildlife officers released it nearby.",
        f"The new season of the series premieres in {rnd.choice(['May', 'June', 'October'])} with ten episodes.",
        "The prime minister met union leaders to discuss wages and working hours.",
        f"Our review: the laptop weighs {n / 10 + 1:.1f} kilograms and the battery lasts {n % 12 + 4} hours.",
        "Stir in the garlic, add a pinch of salt, and let the sauce simmer gently.",
        f"Rain is expected across the region, with temperatures around {n % 30} degrees.",
        f"The museum in {city} reopens next month after a two-year renovation.",
        "Please enter your zip code to see delivery options in your area.",
        f"Shares of the airline fell {n % 9 + 1} percent after the quarterly report.",
        "The hiking trail follows the river and takes about four hours to complete.",
        "Mix the cleaning solution with warm water before wiping the windows.",
    ]


EN_BOILERPLATE = ["Home | About | Contact | Privacy Policy | Sign in", "Share this: Twitter Facebook Email",
                  "Related posts", "Subscribe to our newsletter for weekly updates.",
                  "We use cookies to improve your experience. Accept"]

# ---------------------------------------------------------------- Chinese
ZH_VERBS = ["解析", "排序", "序列化", "合并", "过滤", "遍历", "缓存", "反转", "去重", "校验", "压缩", "分组", "分页"]
ZH_OBJS = ["字典列表", "JSON响应", "CSV文件", "字符串", "数据框", "链表", "哈希表", "二叉树", "字节数组", "日期字符串",
           "配置文件", "HTTP请求", "查询结果", "嵌套字典", "对象数组"]


def zh_code_sentences(rnd: random.Random) -> list[str]:
    v, o, lang, err, f = rnd.choice(ZH_VERBS), rnd.choice(ZH_OBJS), rnd.choice(LANGS), rnd.choice(ERRORS), \
        rnd.choice(FUNCS)
    return [
        f"我在用{lang}{v}{o}的时候，总是报错：{err}。",
        "下面是能复现问题的最小代码，运行后输出为空。",
        f"请问有没有更优雅的写法，不用先复制一遍{o}？",
        f"我已经试过调用{f}，还是不行，求大神指点。",
        "问题出在循环里面重新给变量赋值了，所以第二次遍历拿不到数据。",
        f"可以改用{f}，这样时间复杂度是线性的，也不会额外分配内存。",
        f"注意{lang}里的迭代器是惰性的，只能遍历一次。",
        f"在传给函数之前需要先{v}{o}，否则类型对不上，编译器会报错。",
        "把调用放进异常处理块里，打印出异常信息就知道是哪个键不存在了。",
        "采纳的答案：把查找操作移到循环外面，并且提前返回。",
        "排序的时间复杂度是O(n log n)，用堆的话可以做到O(n log k)。",
        f"官方文档里写得很清楚，{f}的参数必须是可哈希的。",
        "升级依赖库的版本之后这个bug就没有了，建议先看一下更新日志。",
        "多线程环境下要加锁，否则会出现竞态条件，结果不确定。",
    ]


def zh_math_sentences(rnd: random.Random) -> list[str]:
    a, b, c, n = rnd.randint(1, 9), rnd.randint(2, 12), rnd.randint(1, 30), rnd.randint(3, 50)
    return [
        f"已知函数f(x)=x²+{b}x+{c}，求f(x)在区间[{a},{a + b}]上的最小值。",
        f"设数列{{a_n}}满足a_1={a}，a_(n+1)=2a_n+{b}，求数列的通项公式。",
        f"证明：对任意正整数n，{n}^n-1都能被{n - 1}整除。",
        f"在三角形ABC中，已知AB={a + 2}，AC={b + 2}，角A=60°，求BC的长。",
        f"小明有{c + 10}个苹果，平均分给{a + 1}个同学，每人分到几个，还剩几个？",
        "解：由题意可知，函数在区间内单调递增，所以最小值在左端点取到。",
        "因此原方程的解为x=2或x=3，经检验均符合题意。",
        "根据勾股定理，直角三角形斜边的平方等于两条直角边的平方和。",
        f"从{n}个球中任取两个，求取到的两个球颜色相同的概率。",
        "这道题的关键在于构造辅助函数，然后利用导数判断单调性。",
        "由余弦定理可得，再结合正弦定理即可求出三角形的面积。",
        "用数学归纳法证明：当n=1时结论成立，假设n=k时成立，再证明n=k+1时也成立。",
        f"一个长方形的周长是{2 * (a + b)}厘米，长比宽多{abs(b - a)}厘米，求它的面积。",
        "所以所求概率为三分之一，答案选C。",
        f"甲乙两人同时从相距{c * 10}千米的两地出发，相向而行，几小时后相遇？",
    ]


def zh_other_sentences(rnd: random.Random) -> list[str]:
    city = rnd.choice(["北京", "上海", "成都", "杭州", "西安", "广州", "武汉", "厦门"])
    n, p = rnd.randint(2, 90), rnd.randint(5, 400)
    return [
        f"据报道，{city}今年{n % 12 + 1}月份的社会消费品零售总额同比增长{n % 15 + 1}%。",
        f"将土豆切成小块，放入锅中翻炒{n % 10 + 2}分钟，再加入少许盐和酱油。",
        f"在昨晚的比赛中，主队以{n % 5}比{n % 3}战胜了对手，球迷们非常兴奋。",
        f"{city}的古城墙是游客必去的景点，门票{p}元，建议早上去人比较少。",
        "一级方程式赛车本周末在上海国际赛车场举行，吸引了大批车迷。",
        "市民办理居住证的程序已经简化，现在可以在网上提交材料。",
        f"这款手机重{n + 150}克，电池续航大约{n % 12 + 8}小时，拍照效果不错。",
        f"气象台预计明天有小到中雨，气温在{n % 20 + 5}到{n % 20 + 12}度之间。",
        "博物馆经过两年的修缮，将于下个月重新对外开放。",
        f"该航空公司发布季度报告后，股价下跌了{n % 9 + 1}个百分点。",
        "这条徒步路线沿着河边，全程大约需要四个小时。",
        "奶粉的配方是否适合宝宝，最好先咨询儿科医生。",
        f"{city}地铁新线路开通后，早高峰的通勤时间缩短了将近二十分钟。",
        "周末的音乐节门票已经售罄，主办方表示明年会扩大场地。",
    ]


ZH_BOILERPLATE = ["首页 | 关于我们 | 联系我们 | 登录 | 注册", "分享到：微信 微博 QQ空间", "相关文章",
                  "订阅我们的新闻邮件，每周获取最新资讯。", "本站使用Cookie以改善您的浏览体验。"]

# ---------------------------------------------------------------- sites
# (host, folder, label, lang, pages per scale unit, kind of page)
SITES = [
    ("stackoverflow.com", "questions", CODE, "en", 50, "qa"),
    ("docs.python.org", "3/library", CODE, "en", 20, "docs"),
    ("math.stackexchange.com", "questions", MATH, "en", 50, "qa"),
    ("mathoverflow.net", "questions", MATH, "en", 20, "qa"),
    ("devnotes.example.com", "posts", CODE, "en", 30, "blog"),
    ("algebra-help.example.org", "lessons", MATH, "en", 30, "blog"),
    ("bigportal.example.com", "tech", CODE, "en", 15, "blog"),
    ("bigportal.example.com", "news", OTHER, "en", 30, "blog"),
    ("bigportal.example.com", "sports", OTHER, "en", 15, "blog"),
    ("dailynews.example.com", "world", OTHER, "en", 120, "blog"),
    ("recipes.example.com", "recipes", OTHER, "en", 90, "blog"),
    ("travel.example.net", "guides", OTHER, "en", 90, "blog"),
    ("segmentfault.com", "q", CODE, "zh", 50, "qa"),
    ("shuxue.example.cn", "wenda", MATH, "zh", 50, "qa"),
    ("jishu.example.cn", "wenzhang", CODE, "zh", 30, "blog"),
    ("aoshu.example.cn", "ti", MATH, "zh", 30, "blog"),
    ("menhu.example.cn", "keji", CODE, "zh", 15, "blog"),
    ("menhu.example.cn", "xinwen", OTHER, "zh", 30, "blog"),
    ("menhu.example.cn", "tiyu", OTHER, "zh", 15, "blog"),
    ("xinwen.example.cn", "guonei", OTHER, "zh", 120, "blog"),
    ("meishi.example.cn", "caipu", OTHER, "zh", 90, "blog"),
    ("lvyou.example.cn", "gonglue", OTHER, "zh", 90, "blog"),
]
SENTENCES = {
    ("en", CODE): en_code_sentences, ("en", MATH): en_math_sentences, ("en", OTHER): en_other_sentences,
    ("zh", CODE): zh_code_sentences, ("zh", MATH): zh_math_sentences, ("zh", OTHER): zh_other_sentences,
}


def page_text(rnd: random.Random, label: str, lang: str, kind: str) -> str:
    """A page: boilerplate, a title, paragraphs of topic sentences, code blocks on code pages."""
    sentences = SENTENCES[(lang, label)]
    boilerplate = EN_BOILERPLATE if lang == "en" else ZH_BOILERPLATE
    joiner = " " if lang == "en" else ""
    parts = [rnd.choice(boilerplate)] if rnd.random() < 0.8 else []
    parts.append(rnd.choice(sentences(rnd)).rstrip(".。?？"))
    for _ in range(rnd.randint(2, 5)):
        pool = sentences(rnd)
        parts.append(joiner.join(rnd.sample(pool, rnd.randint(2, 4))))
        if label == CODE and (kind != "blog" or rnd.random() < 0.5):
            parts.append(code_block(rnd, comment_zh=lang == "zh"))
    if rnd.random() < 0.7:
        parts.append(rnd.choice(boilerplate))
    return "\n\n".join(parts)


def page_url(rnd: random.Random, host: str, folder: str, kind: str, number: int) -> str:
    slug = hashlib.sha1(f"{host}/{folder}/{number}".encode()).hexdigest()[:8]
    if kind == "qa":
        return f"https://{host}/{folder}/{1000 + number * 7}/{slug}"
    if kind == "docs":
        return f"https://{host}/{folder}/{slug}.html"
    return f"https://{'www.' if rnd.random() < 0.5 else ''}{host}/{folder}/{slug}.html"


def generate_pages(*, seed: int = 0, scale: float = 1.0) -> list[dict]:
    """Pages as Record-shaped dicts (source web, url, domain, text, meta truth and lang), in a fixed order."""
    rnd = random.Random(seed)
    pages = []
    for host, folder, label, lang, count, kind in SITES:
        for number in range(max(1, round(count * scale))):
            url = page_url(rnd, host, folder, kind, number)
            pages.append(
                {
                    "id": hashlib.sha1(url.encode("utf-8") + b"\x00").hexdigest()[:16],
                    "source": "web",
                    "url": url,
                    "domain": host,
                    "text": page_text(rnd, label, lang, kind),
                    "meta": {"truth": label, "lang": lang},
                }
            )
    return pages


def write_sample(out_dir: str | Path, *, seed: int = 0, scale: float = 1.0) -> tuple[Path, Path]:
    """Write pages.jsonl (Records) and labels.jsonl (text, label, lang, url); returns both paths."""
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    pages = generate_pages(seed=seed, scale=scale)
    pages_path, labels_path = out / "pages.jsonl", out / "labels.jsonl"
    with open(pages_path, "w", encoding="utf-8") as fh:
        fh.writelines(json.dumps(page, ensure_ascii=False, sort_keys=True) + "\n" for page in pages)
    with open(labels_path, "w", encoding="utf-8") as fh:
        for page in pages:
            row = {"text": page["text"], "label": page["meta"]["truth"], "lang": page["meta"]["lang"],
                   "url": page["url"]}
            fh.write(json.dumps(row, ensure_ascii=False, sort_keys=True) + "\n")
    return pages_path, labels_path


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("out_dir")
    parser.add_argument("--scale", type=float, default=1.0, help="pages per site, as a multiple of the table")
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    pages_path, labels_path = write_sample(args.out_dir, seed=args.seed, scale=args.scale)
    print(f"wrote {pages_path} and {labels_path}")


if __name__ == "__main__":
    main()
