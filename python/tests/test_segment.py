"""fenlei.cut / fenlei.Segmenter: jieba's output, its modes, user words, errors, threads."""

from concurrent.futures import ThreadPoolExecutor

import pytest

import fenlei

SENTENCES = [
    "我来到北京清华大学",
    "他来到了网易杭研大厦",
    "小明硕士毕业于中国科学院计算所，后在日本京都大学深造",
    "房间很干净，就是隔音太差。Wi-Fi 很快, price 388元",
    "",
]


def test_cut_gives_jiebas_words():
    assert fenlei.cut("我来到北京清华大学") == ["我", "来到", "北京", "清华大学"]
    assert fenlei.cut("我来到北京清华大学", mode="full") == [
        "我", "来到", "北京", "清华", "清华大学", "华大", "大学"]
    assert fenlei.cut("") == []


@pytest.mark.parametrize("text", SENTENCES)
def test_cut_equals_jieba_lcut_in_every_mode(text):
    jieba = pytest.importorskip("jieba")
    assert fenlei.cut(text) == jieba.lcut(text)
    assert fenlei.cut(text, hmm=False) == jieba.lcut(text, HMM=False)
    assert fenlei.cut(text, mode="full") == jieba.lcut(text, cut_all=True)
    assert fenlei.cut(text, mode="search") == jieba.lcut_for_search(text)


def test_user_dictionary_adds_words(tmp_path):
    words = tmp_path / "words.txt"
    words.write_text("杭研大厦 10 n\n", encoding="utf-8")
    seg = fenlei.Segmenter(user_dict=words)
    assert "杭研大厦" in seg.cut("他来到了网易杭研大厦")
    assert seg.is_word("杭研大厦")
    assert "杭研大厦" not in fenlei.cut("他来到了网易杭研大厦")


def test_bad_mode_and_missing_dictionary_raise_fenlei_errors(tmp_path):
    with pytest.raises(fenlei.InvalidArgumentError, match="default, full or search"):
        fenlei.cut("你好", mode="fast")
    with pytest.raises(ValueError):
        fenlei.cut("你好", mode="fast")
    with pytest.raises(FileNotFoundError) as err:
        fenlei.Segmenter(user_dict=tmp_path / "missing.txt")
    assert isinstance(err.value, fenlei.Error)
    assert "missing.txt" in str(err.value)


def test_one_segmenter_serves_many_threads():
    long_text = "".join(SENTENCES) * 50  # long enough that the GIL is released
    expected = fenlei.cut(long_text)
    with ThreadPoolExecutor(max_workers=8) as pool:
        results = list(pool.map(lambda _: fenlei.cut(long_text), range(32)))
    assert all(r == expected for r in results)
