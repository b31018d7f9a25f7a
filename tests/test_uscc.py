from __future__ import annotations

import pytest

from intranet.uscc import check_digit, normalize_uscc, uscc_problem

from .factories import make_uscc

# A real, published code (Huawei Technologies Co., Ltd.)
HUAWEI = "914403001922038216"


def test_known_code_is_valid():
    assert uscc_problem(HUAWEI) is None
    assert check_digit(HUAWEI[:17]) == "6"


@pytest.mark.parametrize(
    "raw",
    [
        "９１４４０３００１９２２０３８２１６",
        "914403001922038216 ",
        "91440300-1922 0382 16",
        "914403001922038216".lower(),
    ],
)
def test_full_width_spaces_and_lower_case_are_normalised(raw):
    assert normalize_uscc(raw) == HUAWEI
    assert uscc_problem(normalize_uscc(raw)) is None


def test_wrong_check_digit_names_expected_digit():
    reason = uscc_problem(HUAWEI[:17] + "7")
    assert reason is not None and "校验位错误" in str(reason) and "应为 6" in str(reason)  # Chinese outside a request


@pytest.mark.parametrize(
    ("code", "part"), [("91440300192203821", "应为18位"), ("91440300192203821I", "非法字符 I")]
)
def test_length_and_alphabet(code, part):
    assert part in str(uscc_problem(code) or "")


def test_generated_codes_are_valid():
    assert all(uscc_problem(make_uscc(n)) is None for n in range(500))
