"""save_figure writes PNG + PDF + caption, or nothing; the style's label and axis labels."""

import matplotlib
import pytest

from evenet.errors import ConfigError
from evenet.plots.figures import MIN_FONT_SCALE, figure_paths, font_scale, new_figure, save_figure
from evenet.plots.labels import axis_label, events_label, mass_label
from evenet.plots.style import FigureStyle, experiment_label


def test_save_figure_writes_png_pdf_and_caption(tmp_path):
    figure, ax = new_figure()
    ax.plot([0, 1], [0, 1])
    ax.set_xlabel(mass_label("bb"))
    paths = save_figure(figure, tmp_path / "figures" / "max_sic", "Maximum SIC per mass point.")
    assert sorted(p.name for p in (tmp_path / "figures").iterdir()) == [
        "max_sic.caption.rst", "max_sic.pdf", "max_sic.png"]
    assert paths["png"].read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert paths["pdf"].read_bytes()[:5] == b"%PDF-"
    assert paths["caption"].read_text() == "Maximum SIC per mass point.\n"
    assert matplotlib.get_backend().lower() == "agg"


def test_pdf_is_reproducible(tmp_path):
    contents = []
    for name in ("a", "b"):
        figure, ax = new_figure()
        ax.plot([0, 1], [1, 0])
        contents.append(save_figure(figure, tmp_path / name, "Same figure twice.")["pdf"].read_bytes())
    assert contents[0] == contents[1]


def test_a_figure_that_fails_to_render_writes_nothing(tmp_path):
    figure, ax = new_figure()
    ax.set_title(r"$\notacommand{x}$")  # mathtext fails only when drawn
    with pytest.raises(ValueError):
        save_figure(figure, tmp_path / "broken", "Never written.")
    assert list(tmp_path.iterdir()) == []


def test_missing_caption_or_suffixed_path_is_refused(tmp_path):
    figure, _ = new_figure()
    with pytest.raises(ValueError, match="caption"):
        save_figure(figure, tmp_path / "x", "  ")
    with pytest.raises(ValueError, match="without suffix"):
        figure_paths(tmp_path / "x.png")
    assert list(tmp_path.iterdir()) == []


def test_experiment_label_text():
    figure, ax = new_figure(label=False)
    style = FigureStyle.from_config({"status": "Open Data", "luminosity_fb": 36.3})
    texts = [t.get_text() for t in experiment_label(ax, style) if t is not None]
    assert texts[0] == "EveNet" and texts[1] == "Open Data"
    assert "36.3" in texts[2] and "13 TeV" in texts[2]
    demo = [t.get_text() for t in experiment_label(ax, FigureStyle(status="Demo")) if t is not None]
    assert demo[1] == "Demo" and "fb" not in demo[2]


@pytest.mark.parametrize("config, key", [
    ({"colour": "red"}, "unknown key"),
    ({"luminosity_fb": -1}, "figures.luminosity_fb"),
    ({"status": 3}, "figures.status"),
])
def test_bad_style_config_names_the_key(config, key):
    with pytest.raises(ConfigError, match=key):
        FigureStyle.from_config(config)


def test_axis_labels_carry_units():
    assert axis_label(r"$p_T$", "GeV") == r"$p_T$ [GeV]"
    assert axis_label(r"$\Delta R$") == r"$\Delta R$"
    assert mass_label("bb") == r"$m_{bb}$ [GeV]"
    assert events_label(10, "GeV") == "Events / 10 GeV"
    assert events_label() == "Events / bin"


def test_fonts_shrink_with_the_panel_and_panels_do_not_overlap():
    assert font_scale((10, 10)) == 1.0
    assert font_scale((16, 7), ncols=2) == pytest.approx(0.7)
    assert font_scale((12, 4), ncols=3) == MIN_FONT_SCALE
    _, axes = new_figure(ncols=3, figsize=(12, 4))
    assert matplotlib.rcParams["font.size"] == pytest.approx(26 * MIN_FONT_SCALE)
    figure = axes[0].figure
    assert figure.get_layout_engine().__class__.__name__ == "ConstrainedLayoutEngine"
    for ax in axes:
        ax.set_ylabel("a long axis label [GeV]")
        ax.set_xlabel("another long label [GeV]")
    figure.canvas.draw()
    boxes = [ax.get_tightbbox() for ax in axes]
    assert all(left.x1 <= right.x0 for left, right in zip(boxes, boxes[1:]))
