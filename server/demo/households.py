"""Who lives together: household compositions of a hill county that sends its young away.

A plan is a list of `Member` specs; `server.demo.population` turns them into rows. The mix
of plans, not a target table, shapes the age pyramid: empty-nest elderly couples,
grandparents raising left-behind grandchildren, three-generation homes, young families.
"""
from __future__ import annotations

import random
from dataclasses import dataclass


@dataclass
class Member:
    """One person of a planned household."""

    relationship: str  # to the head, as on the household register (户主, 配偶, 子 ...)
    sex: str
    age: int
    away: bool = False  # a migrant worker: on the register but not 常住
    own_surname: bool = False  # married in, so not the head's surname


def _child(rng: random.Random, parent_age: int, gap: tuple[int, int], son: str = "子",
           daughter: str = "女") -> Member | None:
    """A child of someone aged `parent_age`, or None if they would not be born yet."""
    age = parent_age - rng.randint(*gap)
    if age < 0:
        return None
    sex = rng.choice(("male", "female"))
    away = 18 <= age <= 45 and rng.random() < 0.6
    return Member(son if sex == "male" else daughter, sex, age, away)


def _couple(rng: random.Random, low: int, high: int) -> list[Member]:
    """A head of household and, usually, a wife a few years younger."""
    age = rng.randint(low, high)
    members = [Member("户主", "male", age)]
    if rng.random() < 0.92:
        members.append(Member("配偶", "female", max(18, age - rng.randint(-1, 5)),
                              own_surname=True))
    return members


def _elderly(rng: random.Random) -> list[Member]:
    """Empty-nest elderly: a couple or a widow(er), children working in cities."""
    if rng.random() < 0.72:
        members = _couple(rng, 57, 84)
    else:
        sex = "female" if rng.random() < 0.68 else "male"
        members = [Member("户主", sex, rng.randint(60, 93))]
    if rng.random() < 0.35:
        child = _child(rng, members[0].age, (24, 32))
        if child:
            members.append(child)
    return members


def _left_behind(rng: random.Random) -> list[Member]:
    """Grandparents raising grandchildren whose parents work away (留守儿童)."""
    members = _couple(rng, 50, 72)
    son_age = members[0].age - rng.randint(22, 28)
    members.append(Member("子", "male", son_age, away=True))
    members.append(Member("儿媳", "female", son_age - rng.randint(0, 3), away=True,
                          own_surname=True))
    for _ in range(rng.choice((1, 1, 1, 2, 2))):
        child = _child(rng, son_age, (20, 32), "孙子", "孙女")
        if child:
            child.away = False
            members.append(child)
    return members


def _three_generation(rng: random.Random) -> list[Member]:
    """A couple with an old parent and their children, sometimes a married son's family."""
    members = _couple(rng, 40, 60)
    head = members[0].age
    parents = [Member("母亲", "female", head + rng.randint(22, 32), own_surname=True)]
    if rng.random() < 0.25:
        parents.append(Member("父亲", "male", parents[0].age + rng.randint(0, 4)))
    members += [p for p in parents if p.age <= 98]
    for _ in range(rng.choice((1, 2))):
        child = _child(rng, head, (22, 30))
        if not child:
            continue
        members.append(child)
        if child.sex == "male" and child.age >= 24 and rng.random() < 0.6:
            members.append(Member("儿媳", "female", child.age - rng.randint(0, 3),
                                  away=child.away, own_surname=True))
            for _ in range(rng.choice((1, 1, 2))):
                grandchild = _child(rng, child.age, (22, 30), "孙子", "孙女")
                if grandchild:
                    grandchild.away = False
                    members.append(grandchild)
    return members


def _nuclear(rng: random.Random) -> list[Member]:
    """Parents and their school-age or grown children; the father often works away."""
    members = _couple(rng, 29, 52)
    if rng.random() < 0.25:
        members[0].away = True
    for _ in range(rng.choice((1, 1, 2, 2, 2, 3))):
        child = _child(rng, members[0].age, (23, 36))
        if child:
            members.append(child)
    return members


def _young(rng: random.Random) -> list[Member]:
    """A young couple, often with a baby."""
    members = _couple(rng, 22, 33)
    if rng.random() < 0.4:
        sex = rng.choice(("male", "female"))
        members.append(Member("子" if sex == "male" else "女", sex, rng.randint(0, 3)))
    return members


def _single(rng: random.Random) -> list[Member]:
    """A single man living alone (common in hill villages)."""
    return [Member("户主", "male", rng.randint(30, 70))]


# Weights tuned so the township has ~3.3 people a household, ~14% aged 65+, ~6.5% aged 0-6.
PLANS = ((_elderly, 21), (_left_behind, 13), (_three_generation, 13), (_nuclear, 30),
         (_young, 10), (_single, 9))


def plan_household(rng: random.Random) -> list[Member]:
    """Draw one household's members."""
    makers, weights = zip(*PLANS, strict=True)
    return rng.choices(makers, weights)[0](rng)


def plan_migrant_household(rng: random.Random) -> list[Member]:
    """A family from elsewhere renting in the village: 非户籍 but 常住."""
    members = _couple(rng, 24, 42)
    for _ in range(rng.choice((0, 1, 1, 2))):
        child = _child(rng, members[0].age, (22, 34))
        if child:
            child.away = False
            members.append(child)
    return members
