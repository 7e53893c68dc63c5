"""The processes ``evenet generate --process`` knows, as Pythia 8 settings.

A process is one or more Pythia *channels* (settings lists) mixed per event
with fixed fractions; two channels are used where Pythia cannot force "exactly
one leptonic W" in one run (the W+ -> l nu / W- -> q q' and the mirrored
configuration, half each). Cross sections (pb, 13 TeV) are the defaults the
pipeline uses for event weights; their sources are listed in docs/generator.md.
Parameters (``--params`` JSON) override the defaults listed per process.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Callable

from evenet.errors import ConfigError

LEPTONS = "11 13 15"
QUARKS = "1 2 3 4 5"
W_LEPTONIC = ["24:onMode = off", f"24:onIfAny = {LEPTONS}"]
W_HADRONIC = ["24:onMode = off", f"24:onIfAny = {QUARKS}"]
Z_TO_LL = ["23:onMode = off", "23:onIfAny = 11 13"]
TTBAR = ["Top:gg2ttbar = on", "Top:qqbar2ttbar = on"]
# tW: Pythia 8 has no g b -> t W; g b -> t H- with H- given the W mass, width and
# decay table is the same 2 -> 2 kinematics up to the boson's spin (documented).
W_LIKE_CHARGED_HIGGS = [
    "Higgs:useBSM = on", "HiggsBSM:bg2H+-t = on",
    "37:m0 = 80.379", "37:mWidth = 2.085", "37:mMin = 60.", "37:mMax = 100.", "37:onMode = off",
    "37:addChannel = 1 0.1086 0 -11 12", "37:addChannel = 1 0.1086 0 -13 14",
    "37:addChannel = 1 0.1086 0 -15 16", "37:addChannel = 1 0.3348 0 2 -1",
    "37:addChannel = 1 0.3348 0 4 -3",
]


@dataclass(frozen=True)
class Process:
    """One generator process: Pythia channels, default parameters, cross section."""

    name: str
    description: str
    xsec_pb: float
    channels: Callable[[dict], list[list[str]]]
    defaults: dict = field(default_factory=dict)
    pdg_relabel: dict = field(default_factory=dict)
    spin_correlated_ttbar: bool = False

    def settings(self, params: dict) -> list[list[str]]:
        unknown = sorted(set(params) - set(self.defaults) - {"ecm"})
        if unknown:
            raise ConfigError(f"--params: unknown key(s) {unknown} for process {self.name!r}; allowed: {sorted(self.defaults) + ['ecm']}")
        merged = {**self.defaults, **params}
        common = [f"Beams:eCM = {float(merged.get('ecm', 13000.0))}"]
        return [common + channel for channel in self.channels(merged)]


def _fixed(*channels: list[str]) -> Callable[[dict], list[list[str]]]:
    return lambda params: [list(c) for c in channels]


def _pthat(params: dict) -> list[str]:
    return [f"PhaseSpace:pTHatMin = {float(params['pthat_min'])}"]


def _one_leptonic_w(params: dict) -> list[list[str]]:
    """W+ -> l nu with W- -> q q', and the mirror; ``params["leptons"]``: the charged leptons
    allowed (a subset of "11 13 15"). Restricting them scales the cross section by the
    branching-ratio fraction (2/3 for "11 13"), which the sample's xsec_pb must state."""
    leptons = str(params["leptons"]).split()
    if not leptons or not set(leptons) <= set(LEPTONS.split()) or len(set(leptons)) != len(leptons):
        raise ConfigError(f"--params: leptons must be distinct codes among {LEPTONS!r}, got {params['leptons']!r}")
    allowed = " ".join(leptons)
    return [["24:onMode = off", f"24:onPosIfAny = {allowed}", f"24:onNegIfAny = {QUARKS}"],
            ["24:onMode = off", f"24:onNegIfAny = {allowed}", f"24:onPosIfAny = {QUARKS}"]]


def _ttbar_1l(params: dict) -> list[list[str]]:
    return [TTBAR + w for w in _one_leptonic_w(params)]


def _xyh(params: dict) -> list[list[str]]:
    m_x, m_y = float(params["m_x"]), float(params["m_y"])
    if m_y <= 10.6 or m_x <= m_y + 125.5:
        raise ConfigError(f"--params: need m_y > 10.6 GeV and m_x > m_y + 125.5 GeV, got m_x={m_x}, m_y={m_y}")
    # Heavy scalar 35 produced in g g fusion; its g g channel stays in the table
    # (switched off) so the production width is computed, and a new channel
    # 35 -> 25 36 carries all decays. 36 (mass m_y) -> b bbar, 25 -> W W*.
    base = [
        "Higgs:useBSM = on", "HiggsBSM:gg2H2 = on",
        f"35:m0 = {m_x}", f"35:mWidth = {0.01 * m_x}", "35:doForceWidth = on",
        f"35:mMin = {0.9 * m_x}", f"35:mMax = {1.1 * m_x}",
        "35:onMode = off", "35:addChannel = 1 1.0 100 25 36",
        f"36:m0 = {m_y}", "36:mWidth = 0.01", "36:doForceWidth = on",
        f"36:mMin = {m_y - 0.5}", f"36:mMax = {m_y + 0.5}", "36:oneChannel = 1 1.0 100 5 -5",
        "25:onMode = off", "25:onIfMatch = 24 -24",
    ]
    return [base + w for w in _one_leptonic_w(params)]


HIGGS_PRODUCTION = {
    "ggH": ["HiggsSM:gg2H = on"],
    # H + 1 parton (top loop, heavy-top limit) above pTHat: a recoiling Higgs
    # whose b quarks and the recoil parton pass multijet thresholds.
    "Hjet": ["HiggsSM:gg2Hg(l:t) = on", "HiggsSM:qg2Hq(l:t) = on", "HiggsSM:qqbar2Hg(l:t) = on"],
}


def _haa(params: dict) -> list[list[str]]:
    m_a = float(params["m_a"])
    if not 10.6 < m_a < 62.0:
        raise ConfigError(f"--params: m_a must lie in (10.6, 62) GeV for H -> a a -> 4b, got {m_a}")
    production = params["production"]
    if production not in HIGGS_PRODUCTION:
        raise ConfigError(f"--params: production must be one of {sorted(HIGGS_PRODUCTION)}, got {production!r}")
    recoil = [f"PhaseSpace:pTHatMin = {float(params['pthat_min'])}"] if production == "Hjet" else []
    return [HIGGS_PRODUCTION[production] + recoil + [
        "25:onMode = off", "25:addChannel = 1 1.0 100 36 36",
        f"36:m0 = {m_a}", "36:mWidth = 0.01", "36:doForceWidth = on",
        f"36:mMin = {m_a - 0.5}", f"36:mMax = {m_a + 0.5}", "36:oneChannel = 1 1.0 100 5 -5",
    ]]


def _with_pthat(channels: Callable[[dict], list[list[str]]]) -> Callable[[dict], list[list[str]]]:
    return lambda params: [c + _pthat(params) for c in channels(params)]


def _with_second_pthat(channels: Callable[[dict], list[list[str]]]) -> Callable[[dict], list[list[str]]]:
    """pTHat thresholds of both the first and the second hard interaction from params."""
    second = lambda params: [f"PhaseSpace:pTHatMinSecond = {float(params['pthat_min_second'])}"]  # noqa: E731
    return lambda params: [c + _pthat(params) + second(params) for c in channels(params)]


PT_DEFAULT = {"pthat_min": 20.0}
PT_SECOND_DEFAULT = {"pthat_min": 20.0, "pthat_min_second": 20.0}
PROCESSES: dict[str, Process] = {p.name: p for p in [
    # --- pretraining corpus: the ten classes of EveNet's Table I -------------
    Process("qcd", "QCD 2 -> 2 multijet (HardQCD:all)", 1.302e6, _with_pthat(_fixed(["HardQCD:all = on"])), {"pthat_min": 100.0}),
    Process("ttbar_0l", "ttbar, both W -> q q'", 378.9, _fixed(TTBAR + W_HADRONIC)),
    Process("ttbar_1l", "ttbar, one W -> l nu (l = e, mu, tau, or the `leptons` given), the other -> q q'", 366.3,
            _ttbar_1l, {"leptons": LEPTONS}),
    Process("ttbar_2l", "ttbar, both W -> l nu (l = e, mu, tau)", 88.5, _fixed(TTBAR + W_LEPTONIC)),
    Process("ttw", "ttbar + W as a second hard interaction (SecondHard:SingleW)", 0.60,
            _fixed(TTBAR + ["SecondHard:generate = on", "SecondHard:SingleW = on"])),
    Process("ttz", "ttbar + Z/gamma* as a second hard interaction (SecondHard:SingleGmZ), m > 50 GeV", 0.86,
            _fixed(TTBAR + ["SecondHard:generate = on", "SecondHard:SingleGmZ = on", "23:mMin = 50."])),
    Process("wjets", "W + 1 parton, W -> l nu", 1.144e4,
            _with_pthat(_fixed(["WeakBosonAndParton:qqbar2Wg = on", "WeakBosonAndParton:qg2Wq = on", "24:onMode = off", f"24:onIfAny = {LEPTONS}"])), PT_DEFAULT),
    Process("zjets", "Z/gamma* + 1 parton, Z -> l l, m_ll > 50 GeV", 1248.0,
            _with_pthat(_fixed(["WeakBosonAndParton:qqbar2gmZg = on", "WeakBosonAndParton:qg2gmZq = on", "23:mMin = 50.", "23:onMode = off", "23:onIfAny = 11 13 15"])), PT_DEFAULT),
    Process("ww", "W+ W- (inclusive decays)", 118.7, _fixed(["WeakDoubleBoson:ffbar2WW = on"])),
    Process("zz", "Z/gamma* Z/gamma* (inclusive decays), m > 50 GeV", 16.5, _fixed(["WeakDoubleBoson:ffbar2gmZgmZ = on", "23:mMin = 50."])),
    Process("wz", "W Z/gamma* (inclusive decays), m_Z > 50 GeV", 47.1, _fixed(["WeakDoubleBoson:ffbar2ZW = on", "23:mMin = 50."])),
    Process("hww", "g g -> H -> W W* (inclusive W decays)", 48.6 * 0.214, _fixed(["HiggsSM:gg2H = on", "25:onMode = off", "25:onIfMatch = 24 -24"])),
    # --- X -> Y H -> b b W W* -> b b l nu q q' and its backgrounds -----------
    Process("xyh", "g g -> X(35) -> Y(36) H; Y -> b bbar, H -> W W* -> l nu q q'", 1.0, _xyh, {"m_x": 500.0, "m_y": 100.0, "leptons": LEPTONS}),
    Process("dy_bb", "Drell-Yan Z/gamma* -> l l (m > 50 GeV) + b bbar as a second hard interaction", 19.1,
            _fixed(["WeakSingleBoson:ffbar2gmZ = on", "23:mMin = 50.", *Z_TO_LL, "SecondHard:generate = on", "SecondHard:TwoBJets = on", "PhaseSpace:pTHatMinSecond = 20."])),
    Process("single_top_s", "single top, s-channel (q qbar' -> t bbar), inclusive W decay", 10.3, _fixed(["Top:ffbar2tqbar(s:W) = on"])),
    Process("single_top_t", "single top, t-channel (q b -> q' t), inclusive W decay", 217.0, _fixed(["Top:qq2tq(t:W) = on"])),
    Process("single_top_tw", "tW: g b -> t W- (+ c.c.) via a W-like H+-; relabelled to W", 71.7,
            _fixed(W_LIKE_CHARGED_HIGGS), pdg_relabel={37: 24}),
    # --- H -> a a -> 4b and QCD heavy-flavour backgrounds ---------------------
    Process("haa4b", "H -> a a -> b bbar b bbar (a = 36, mass m_a); production ggH (at rest) or Hjet (H + parton, pTHat > pthat_min)",
            48.6 * 0.01, _haa, {"m_a": 30.0, "production": "ggH", "pthat_min": 80.0}),
    Process("qcd_bbj", "QCD b bbar (HardQCD:hardbbbar); the extra jet(s) come from the shower with --shower", 2.684e6,
            _with_pthat(_fixed(["HardQCD:hardbbbar = on"])), PT_DEFAULT),
    Process("qcd_bbjj", "QCD b bbar + two jets from a second hard interaction (SecondHard:TwoJets)", 3.407e4,
            _with_second_pthat(_fixed(["HardQCD:hardbbbar = on", "SecondHard:generate = on", "SecondHard:TwoJets = on"])), PT_SECOND_DEFAULT),
    Process("qcd_bbbb", "QCD b bbar + b bbar from a second hard interaction (SecondHard:TwoBJets)", 62.5,
            _with_second_pthat(_fixed(["HardQCD:hardbbbar = on", "SecondHard:generate = on", "SecondHard:TwoBJets = on"])), PT_SECOND_DEFAULT),
    # --- ttbar with imposed spin correlations (decays done in evenet.sim.ttbar_spin)
    Process("ttbar_2l_spin", "ttbar -> b l nu bbar l nu (l = e, mu), V-A decays, LO SM spin correlations (C = \"sm\") or C, B1, B2 imposed", 833.9 * 0.2172**2,
            _fixed(TTBAR + ["6:mayDecay = off"]),
            {"C": "sm", "B1": [0.0, 0.0, 0.0], "B2": [0.0, 0.0, 0.0]},
            spin_correlated_ttbar=True),
]}

NON_PYTHIA_PROCESSES = ("dimuon",)
SIMULATION_LEVELS = ("process", "parton", "hadron")  # Pythia settings per level: pythia_source.LEVELS


def get_process(name: str) -> Process:
    if name not in PROCESSES:
        raise ConfigError(f"--process: unknown process {name!r}; known: {sorted(PROCESSES) + list(NON_PYTHIA_PROCESSES)}")
    return PROCESSES[name]
