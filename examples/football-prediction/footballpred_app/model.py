"""Independent-Poisson match model (Maher 1982) with per-league scoring rates.

    goals_home ~ Poisson(base[league] * home_advantage * attack[home] / defence[away])
    goals_away ~ Poisson(base[league] * attack[away] / defence[home])

Fitted by cyclic coordinate ascent: in a multiplicative Poisson model the best value of
one factor, the others held fixed, is observed / expected goals. A pseudo-count
(`prior_goals`) shrinks teams with few matches towards their league average. Leagues never
meet, so attack and defence are normalised to geometric mean 1 within each league and the
league's scoring rate lives in `league_base`.
"""

from __future__ import annotations

import hashlib
import json
import math
from collections import Counter, defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import asdict, dataclass, field
from typing import Any, Literal

Outcome = Literal["home_win", "draw", "away_win"]
OUTCOMES: tuple[Outcome, ...] = ("home_win", "draw", "away_win")
MAX_GOALS = 10


def outcome(home_goals: int, away_goals: int) -> Outcome:
    if home_goals > away_goals:
        return "home_win"
    return "away_win" if home_goals < away_goals else "draw"


@dataclass(frozen=True)
class MatchRecord:
    league: str
    season: str
    match_date: str  # ISO 8601; only used for the data fingerprint
    home_team: str
    away_team: str
    home_goals: int
    away_goals: int

    @property
    def result(self) -> Outcome:
        return outcome(self.home_goals, self.away_goals)


@dataclass(frozen=True)
class MatchForecast:
    expected_home_goals: float
    expected_away_goals: float
    probabilities: dict[str, float]
    most_likely_score: tuple[int, int]

    @property
    def prediction(self) -> Outcome:
        return max(OUTCOMES, key=lambda o: self.probabilities[o])

    @property
    def confidence(self) -> float:
        return self.probabilities[self.prediction]


class UnknownTeamError(KeyError):
    """The model has no strength estimate for this team."""


@dataclass
class PoissonModel:
    home_advantage: float
    league_base: dict[str, float]
    attack: dict[str, float]
    defence: dict[str, float]
    team_league: dict[str, str]
    meta: dict[str, Any] = field(default_factory=dict)

    def knows(self, team: str) -> bool:
        return team in self.attack

    def expected_goals(self, home_team: str, away_team: str) -> tuple[float, float]:
        for team in (home_team, away_team):
            if not self.knows(team):
                raise UnknownTeamError(team)
        home_base = self.league_base[self.team_league[home_team]]
        away_base = self.league_base[self.team_league[away_team]]
        # Cross-league fixtures have no shared history: use the geometric mean rate.
        base = math.sqrt(home_base * away_base)
        lam_home = base * self.home_advantage * self.attack[home_team] / self.defence[away_team]
        lam_away = base * self.attack[away_team] / self.defence[home_team]
        return lam_home, lam_away

    def predict(self, home_team: str, away_team: str) -> MatchForecast:
        lam_home, lam_away = self.expected_goals(home_team, away_team)
        home_pmf = poisson_pmf(lam_home, MAX_GOALS)
        away_pmf = poisson_pmf(lam_away, MAX_GOALS)
        totals: dict[str, float] = {o: 0.0 for o in OUTCOMES}
        best_score, best_p = (0, 0), -1.0
        for home_goals, p_home in enumerate(home_pmf):
            for away_goals, p_away in enumerate(away_pmf):
                p = p_home * p_away
                if home_goals > away_goals:
                    totals["home_win"] += p
                elif home_goals < away_goals:
                    totals["away_win"] += p
                else:
                    totals["draw"] += p
                if p > best_p:
                    best_score, best_p = (home_goals, away_goals), p
        # Renormalise: the grid truncates a negligible tail beyond MAX_GOALS.
        mass = sum(totals.values())
        probabilities = {outcome: value / mass for outcome, value in totals.items()}
        return MatchForecast(lam_home, lam_away, probabilities, best_score)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> PoissonModel:
        return cls(
            home_advantage=float(data["home_advantage"]),
            league_base={k: float(v) for k, v in data["league_base"].items()},
            attack={k: float(v) for k, v in data["attack"].items()},
            defence={k: float(v) for k, v in data["defence"].items()},
            team_league=dict(data["team_league"]),
            meta=dict(data.get("meta", {})),
        )


def poisson_pmf(lam: float, max_k: int) -> list[float]:
    pmf = [math.exp(-lam)]
    for k in range(1, max_k + 1):
        pmf.append(pmf[-1] * lam / k)
    return pmf


def data_fingerprint(matches: Iterable[MatchRecord]) -> str:
    """Order-independent hash of the training data, to recognise an unchanged history."""
    rows = sorted(json.dumps(asdict(match), sort_keys=True) for match in matches)
    return hashlib.sha256("\n".join(rows).encode()).hexdigest()


def fit(matches: Sequence[MatchRecord], iterations: int = 200, prior_goals: float = 2.0,
        tolerance: float = 1e-9) -> PoissonModel:
    if not matches:
        raise ValueError("cannot fit a model on an empty match history")
    team_league: dict[str, str] = {}
    for match in matches:
        team_league.setdefault(match.home_team, match.league)
        team_league.setdefault(match.away_team, match.league)
    teams = sorted(team_league)
    leagues = sorted(set(team_league.values()))
    attack = dict.fromkeys(teams, 1.0)
    defence = dict.fromkeys(teams, 1.0)
    base = dict.fromkeys(leagues, 1.0)
    home_adv = 1.0

    scored: Counter[str] = Counter()
    conceded: Counter[str] = Counter()
    league_goals: Counter[str] = Counter()
    home_goals_total = 0
    for match in matches:
        scored[match.home_team] += match.home_goals
        scored[match.away_team] += match.away_goals
        conceded[match.home_team] += match.away_goals
        conceded[match.away_team] += match.home_goals
        league_goals[match.league] += match.home_goals + match.away_goals
        home_goals_total += match.home_goals

    for _ in range(iterations):
        previous = (home_adv, dict(base), dict(attack), dict(defence))

        # attack[t] = (scored + prior) / (expected scored at attack 1 + prior)
        exposure: defaultdict[str, float] = defaultdict(float)
        for m in matches:
            exposure[m.home_team] += base[m.league] * home_adv / defence[m.away_team]
            exposure[m.away_team] += base[m.league] / defence[m.home_team]
        attack = {t: (scored[t] + prior_goals) / (exposure[t] + prior_goals) for t in teams}

        # 1/defence[t] = (conceded + prior) / (expected conceded at defence 1 + prior)
        exposure = defaultdict(float)
        for m in matches:
            exposure[m.away_team] += base[m.league] * home_adv * attack[m.home_team]
            exposure[m.home_team] += base[m.league] * attack[m.away_team]
        defence = {t: (exposure[t] + prior_goals) / (conceded[t] + prior_goals) for t in teams}

        _normalise_per_league(attack, team_league)
        _normalise_per_league(defence, team_league)

        home_expected = sum(base[m.league] * attack[m.home_team] / defence[m.away_team] for m in matches)
        home_adv = home_goals_total / home_expected

        league_expected: defaultdict[str, float] = defaultdict(float)
        for m in matches:
            league_expected[m.league] += (home_adv * attack[m.home_team] / defence[m.away_team]
                                          + attack[m.away_team] / defence[m.home_team])
        base = {lg: league_goals[lg] / league_expected[lg] for lg in leagues}

        if _max_change(previous, (home_adv, base, attack, defence)) < tolerance:
            break

    return PoissonModel(home_advantage=home_adv, league_base=base, attack=attack,
                        defence=defence, team_league=team_league)


def _normalise_per_league(strength: dict[str, float], team_league: dict[str, str]) -> None:
    by_league: defaultdict[str, list[str]] = defaultdict(list)
    for team, league in team_league.items():
        by_league[league].append(team)
    for members in by_league.values():
        geo_mean = math.exp(sum(math.log(strength[t]) for t in members) / len(members))
        for team in members:
            strength[team] /= geo_mean


def _max_change(before: tuple, after: tuple) -> float:
    change = abs(before[0] - after[0])
    for old, new in zip(before[1:], after[1:], strict=True):
        change = max(change, max(abs(old[k] - new[k]) for k in new))
    return change


def log_likelihood(model: PoissonModel, matches: Iterable[MatchRecord]) -> float:
    total = 0.0
    for m in matches:
        lam_home, lam_away = model.expected_goals(m.home_team, m.away_team)
        total += _poisson_logpmf(m.home_goals, lam_home) + _poisson_logpmf(m.away_goals, lam_away)
    return total


def _poisson_logpmf(k: int, lam: float) -> float:
    return k * math.log(lam) - lam - math.lgamma(k + 1)


def evaluate(model: PoissonModel, matches: Sequence[MatchRecord]) -> dict[str, float]:
    """Outcome log loss and accuracy, against a baseline that always predicts the base rates."""
    base_rates = Counter(m.result for m in matches)
    baseline = {o: base_rates[o] / len(matches) for o in OUTCOMES}
    log_loss = baseline_log_loss = 0.0
    correct = 0
    for m in matches:
        forecast = model.predict(m.home_team, m.away_team)
        log_loss -= math.log(max(forecast.probabilities[m.result], 1e-12))
        baseline_log_loss -= math.log(max(baseline[m.result], 1e-12))
        correct += forecast.prediction == m.result
    n = len(matches)
    return {
        "log_loss": log_loss / n,
        "baseline_log_loss": baseline_log_loss / n,
        "accuracy": correct / n,
        "goals_log_likelihood": log_likelihood(model, matches) / n,
        "matches": float(n),
    }
