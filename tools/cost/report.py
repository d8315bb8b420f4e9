"""The bill as Markdown: one environment in detail, or every environment by service side by side."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from tools.cost import prices as price_files
from tools.cost.bill import LineItem, line_items, total
from tools.cost.prices import PriceList
from tools.cost.profile import DEFAULT_DURATIONS, Durations, TrafficProfile, bench_durations, item_bytes
from tools.cost.usage import Templates, api_function, resources, usage

DEFAULT_REQUESTS = 1_000_000


@dataclass(frozen=True)
class Estimate:
    environment: str
    prices: PriceList
    profile: TrafficProfile
    durations: Durations
    items: list[LineItem]

    @property
    def total(self) -> float:
        return total(self.items)


def estimate(
    environment: str, templates: Templates, *, region: str, requests: int, item_size: int | None = None
) -> Estimate:
    """The monthly bill of ``environment`` (its ``{stack name: template}`` in ``region``) at ``requests``."""
    function = api_function(resources(templates))
    profile = TrafficProfile(requests_per_month=requests, item_bytes=item_size or item_bytes())
    durations = bench_durations(int(function.get("MemorySize", 128))) or DEFAULT_DURATIONS
    price_list = price_files.load(region)
    return Estimate(
        environment,
        price_list,
        profile,
        durations,
        line_items(usage(templates, profile, durations), price_list),
    )


def _money(value: float) -> str:
    return f"{value:,.2f}"


def _quantity(value: float) -> str:
    return f"{value:,.4g}" if value < 1000 else f"{value:,.0f}"


def _detail_row(item: LineItem) -> str:
    cells = (
        item.service,
        item.what,
        _quantity(item.quantity),
        item.unit,
        f"{item.unit_price:.10f}".rstrip("0").rstrip("."),
    )
    return f"| {' | '.join(cells)} | {_money(item.cost)} |"


def _assumptions(result: Estimate) -> str:
    durations, profile = result.durations, result.profile
    return (
        f"Durations: {durations.warm_ms:g} ms a warm request, {durations.cold_init_ms:g} ms a cold start "
        f"({durations.source}); {profile.cold_start_share:.1%} of requests start cold; a stored item is "
        f"{profile.item_bytes} bytes."
    )


def detail(result: Estimate) -> str:
    """Every line of one environment's bill, then its assumptions."""
    lines = [
        f"{result.environment}: {result.profile.requests_per_month:,} requests a month, prices of "
        f"{result.prices.region} as of {result.prices.as_of} (USD, no free tier)",
        "",
        "| service | what | quantity | unit | USD per unit | USD a month |",
        "|---|---|---:|---|---:|---:|",
        *(_detail_row(item) for item in result.items),
        f"| **total** | | | | | **{_money(result.total)}** |",
        "",
        _assumptions(result),
    ]
    return "\n".join(lines)


def comparison(results: Mapping[str, Estimate]) -> str:
    """Each service's monthly cost in every environment: the README's table."""
    names = list(results)
    services = list(dict.fromkeys(item.service for result in results.values() for item in result.items))
    header = f"| service | {' | '.join(names)} |\n|---|{'---:|' * len(names)}"
    rows = [
        f"| {service} | "
        + " | ".join(_money(sum(i.cost for i in results[n].items if i.service == service)) for n in names)
        + " |"
        for service in services
    ]
    totals = "| **total** | " + " | ".join(f"**{_money(results[n].total)}**" for n in names) + " |"
    return "\n".join([header, *rows, totals])


README_REQUESTS = 1_000_000


def readme_table(stages: Mapping[str, Templates]) -> str:
    """Every environment's bill by service at :data:`README_REQUESTS` a month, with what it assumes."""
    from cdk_app.config import ENVIRONMENTS

    regions = {config.name: config.region for config in ENVIRONMENTS}
    size = item_bytes()
    results = {
        name: estimate(name, templates, region=regions[name], requests=README_REQUESTS, item_size=size)
        for name, templates in stages.items()
    }
    first = next(iter(results.values()))
    sources = sorted({result.durations.source for result in results.values()})
    return (
        f"{comparison(results)}\n\nUSD a month at {README_REQUESTS:,} requests a month in each environment, "
        f"{first.prices.region} list prices as of {first.prices.as_of} (tools/cost/prices), no free tier. "
        f"Durations: {'; '.join(sources)}. `make cost ENV=<env>` shows every line and its assumptions."
    )
