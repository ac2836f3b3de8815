"""The Poisson model's maths: probabilities, fitting, evaluation, serialisation."""

from __future__ import annotations

import math
from dataclasses import replace

import pytest

from footballpred_app import model as poisson
from footballpred_app.model import MatchRecord, PoissonModel, UnknownTeamError
from footballpred_app.seed import LEAGUES, generate_history


def records(seed_matches) -> list[MatchRecord]:
    return [MatchRecord(m.league, m.season, m.match_date.isoformat(), m.home_team, m.away_team,
                        m.home_goals, m.away_goals) for m in seed_matches]


def spearman(xs: list[float], ys: list[float]) -> float:
    def ranks(values: list[float]) -> list[int]:
        order = sorted(range(len(values)), key=values.__getitem__)
        out = [0] * len(values)
        for rank, index in enumerate(order):
            out[index] = rank
        return out
    rx, ry = ranks(xs), ranks(ys)
    n = len(xs)
    return 1 - 6 * sum((a - b) ** 2 for a, b in zip(rx, ry, strict=True)) / (n * (n * n - 1))


def two_team_model(home_advantage: float = 1.0, attack_a: float = 1.0) -> PoissonModel:
    return PoissonModel(
        home_advantage=home_advantage,
        league_base={"L": 1.3},
        attack={"A": attack_a, "B": 1.0},
        defence={"A": 1.0, "B": 1.0},
        team_league={"A": "L", "B": "L"},
    )


@pytest.fixture(scope="module")
def history() -> list[MatchRecord]:
    return records(generate_history())


@pytest.fixture(scope="module")
def long_history() -> list[MatchRecord]:
    seasons = tuple(f"{year}-{year + 1}" for year in range(2000, 2020))
    return records(generate_history(seed=7, seasons=seasons))


def test_poisson_pmf_matches_closed_form() -> None:
    pmf = poisson.poisson_pmf(1.7, 10)
    for k, p in enumerate(pmf):
        assert p == pytest.approx(math.exp(-1.7) * 1.7 ** k / math.factorial(k))
    assert sum(pmf) == pytest.approx(1.0, abs=1e-5)


def test_probabilities_sum_to_one_and_confidence_is_the_max() -> None:
    forecast = two_team_model(1.3, attack_a=1.4).predict("A", "B")
    assert sum(forecast.probabilities.values()) == pytest.approx(1.0)
    assert forecast.prediction == "home_win"
    assert forecast.confidence == max(forecast.probabilities.values())


def test_equal_teams_without_home_advantage_are_symmetric() -> None:
    forecast = two_team_model(1.0).predict("A", "B")
    assert forecast.probabilities["home_win"] == pytest.approx(forecast.probabilities["away_win"])
    assert forecast.expected_home_goals == pytest.approx(1.3)


def test_home_advantage_shifts_probability_to_the_home_side() -> None:
    neutral = two_team_model(1.0).predict("A", "B")
    at_home = two_team_model(1.3).predict("A", "B")
    assert at_home.probabilities["home_win"] > neutral.probabilities["home_win"] + 0.05
    assert at_home.expected_home_goals == pytest.approx(1.3 * 1.3)


def test_draw_probability_is_the_diagonal() -> None:
    forecast = two_team_model(1.0).predict("A", "B")
    pmf = poisson.poisson_pmf(1.3, poisson.MAX_GOALS)
    assert forecast.probabilities["draw"] == pytest.approx(sum(p * p for p in pmf), rel=1e-4)


def test_unknown_team_is_rejected() -> None:
    with pytest.raises(UnknownTeamError):
        two_team_model().predict("A", "Invalid Team Name 123")


def test_fit_rejects_empty_history() -> None:
    with pytest.raises(ValueError):
        poisson.fit([])


def test_fit_recovers_the_generating_parameters(long_history: list[MatchRecord]) -> None:
    fitted = poisson.fit(long_history)
    assert fitted.home_advantage == pytest.approx(1.25, abs=0.06)
    for league, (_country, teams) in LEAGUES.items():
        names = [name for name, _a, _d in teams]
        assert spearman([a for _n, a, _d in teams], [fitted.attack[n] for n in names]) > 0.75, league
        assert spearman([d for _n, _a, d in teams], [fitted.defence[n] for n in names]) > 0.6, league
        geo_mean = math.exp(sum(math.log(fitted.attack[n]) for n in names) / len(names))
        assert geo_mean == pytest.approx(1.0)


def test_fit_increases_the_likelihood_over_the_starting_point(history: list[MatchRecord]) -> None:
    fitted = poisson.fit(history)
    start = PoissonModel(1.0, dict.fromkeys(fitted.league_base, 1.3), dict.fromkeys(fitted.attack, 1.0),
                         dict.fromkeys(fitted.defence, 1.0), fitted.team_league)
    assert poisson.log_likelihood(fitted, history) > poisson.log_likelihood(start, history) + 10


def test_model_beats_the_base_rate_on_an_unseen_season(history: list[MatchRecord]) -> None:
    seasons = sorted({m.season for m in history})
    fitted = poisson.fit([m for m in history if m.season != seasons[-1]])
    scores = poisson.evaluate(fitted, [m for m in history if m.season == seasons[-1]])
    assert scores["log_loss"] < scores["baseline_log_loss"]
    assert scores["accuracy"] > 0.45


def test_serialisation_round_trip_predicts_identically(history: list[MatchRecord]) -> None:
    fitted = poisson.fit(history)
    fitted.meta = {"data_fingerprint": "x"}
    restored = PoissonModel.from_dict(fitted.to_dict())
    assert restored.predict("Arsenal", "Chelsea") == fitted.predict("Arsenal", "Chelsea")
    assert restored.meta == {"data_fingerprint": "x"}


def test_data_fingerprint_ignores_order_but_not_scores(history: list[MatchRecord]) -> None:
    fingerprint = poisson.data_fingerprint(history)
    assert poisson.data_fingerprint(list(reversed(history))) == fingerprint
    changed = [replace(history[0], home_goals=history[0].home_goals + 1)] + history[1:]
    assert poisson.data_fingerprint(changed) != fingerprint
