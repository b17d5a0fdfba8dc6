#pragma once
/// @file
/// The learning curves of a training run as a standalone SVG 1.1 file (`deepfm train --plot`):
/// two panels side by side, (a) log loss per epoch (train, valid, test) and (b) ROC AUC per
/// epoch (valid, test), with round-number ticks, axis titles, legends and the epoch of the best
/// validation AUC marked in both. Each set keeps one colour, dash pattern and marker shape in
/// both panels (Okabe–Ito colours, which stay distinct under the common colour-vision
/// deficiencies, and the dashes and shapes tell them apart in grey print).
///
/// Robust to what training produces: a single epoch, sets that were never scored, constant
/// curves (a zero range is widened), non-finite values (the point is skipped; the line joins
/// its neighbours) and thousands of epochs (markers are drawn only up to kMaxMarkedPoints).

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <filesystem>
#include <fstream>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <system_error>
#include <utility>
#include <vector>

#include "deepfm/core/error.hpp"
#include "deepfm/metrics/epoch_stats.hpp"
#include "deepfm/report/human_format.hpp"
#include "deepfm/report/text_escape.hpp"

namespace deepfm {

/// Series with more points than this get no markers (they would merge into a thick line).
inline constexpr std::size_t kMaxMarkedPoints = 60;

namespace detail {

/// How one set (train, valid, test) is drawn, the same in both panels.
struct CurveStyle {
  const char* name;    // legend label and id prefix
  const char* colour;  // Okabe–Ito
  const char* dash;    // stroke-dasharray, empty for solid
  char marker;         // 'o' circle, 's' square, '^' triangle
};

inline constexpr CurveStyle kTrainCurve{"train", "#0072B2", "", 'o'};
inline constexpr CurveStyle kValidCurve{"valid", "#D55E00", "8 4", 's'};
inline constexpr CurveStyle kTestCurve{"test", "#009E73", "2 3", '^'};

/// One series: (epoch, value) points with finite values only.
struct Curve {
  std::string id;
  const CurveStyle* style = nullptr;
  std::vector<std::pair<double, double>> points{};

  void add(double x, double y) {
    // Beyond 1e15 a loss has diverged; plotting it would flatten every other point to a line.
    if (std::isfinite(y) && std::fabs(y) <= 1e15) points.emplace_back(x, y);
  }
};

/// An axis from lo to hi with ticks every `step` (1, 2 or 5 times a power of ten); labels
/// carry `decimals` digits.
struct NiceAxis {
  double lo = 0;
  double hi = 1;
  double step = 0.2;
  int decimals = 1;
};

/// A step of 1, 2 or 5 times a power of ten near `raw`.
inline double nice_step(double raw) {
  const double magnitude = std::pow(10.0, std::floor(std::log10(raw)));
  const double normalized = raw / magnitude;
  return (normalized <= 1 ? 1 : normalized <= 2 ? 2 : normalized <= 5 ? 5 : 10) * magnitude;
}

/// An axis covering [min, max] with about `ticks` round ticks; a zero range is widened.
inline NiceAxis nice_value_axis(double min, double max, int ticks) {
  if (max - min <= 1e-9 * std::max(1.0, std::fabs(max))) {
    const double pad = std::max(std::fabs(max) * 0.05, 0.05);
    min -= pad;
    max += pad;
  }
  NiceAxis axis;
  axis.step = nice_step((max - min) / ticks);
  axis.lo = std::floor(min / axis.step) * axis.step;
  axis.hi = std::ceil(max / axis.step) * axis.step;
  axis.decimals = std::max(0, -static_cast<int>(std::floor(std::log10(axis.step) + 1e-9)));
  return axis;
}

/// The epoch axis: whole-number ticks; a single epoch gets half an epoch either side.
inline NiceAxis nice_epoch_axis(double first, double last) {
  NiceAxis axis;
  axis.lo = first == last ? first - 0.5 : first;
  axis.hi = first == last ? last + 0.5 : last;
  axis.step = std::max(1.0, nice_step((axis.hi - axis.lo) / 6));
  axis.decimals = 0;
  return axis;
}

/// The tick positions of `axis` that fall inside [lo, hi], at whole multiples of the step.
inline std::vector<double> axis_ticks(const NiceAxis& axis) {
  std::vector<double> ticks;
  const double first = std::ceil(axis.lo / axis.step - 1e-9);
  const double last = std::floor(axis.hi / axis.step + 1e-9);
  for (double k = first; k <= last && ticks.size() < 100; ++k) ticks.push_back(k * axis.step);
  return ticks;
}

/// A coordinate with one decimal (a tenth of a pixel is below what any screen shows).
inline std::string svg_number(double value) { return fixed_text(value, 1); }

/// The rectangle of a panel's plot area and its mapping from data to pixels.
struct PlotArea {
  double left = 0, right = 0, top = 0, bottom = 0;
  NiceAxis x{}, y{};
  static constexpr double kInset = 10;  // keeps the first and last markers off the frame

  double px(double value) const {
    return left + kInset + (value - x.lo) / (x.hi - x.lo) * (right - left - 2 * kInset);
  }
  double py(double value) const { return bottom - (value - y.lo) / (y.hi - y.lo) * (bottom - top); }
};

/// Appends one marker of `shape` centred on (cx, cy), filled by the enclosing group.
inline void append_marker(std::string& svg, char shape, double cx, double cy) {
  if (shape == 's') {
    svg += "<rect x=\"" + svg_number(cx - 3.5) + "\" y=\"" + svg_number(cy - 3.5) +
           "\" width=\"7\" height=\"7\"/>";
  } else if (shape == '^') {
    svg += "<polygon points=\"" + svg_number(cx) + "," + svg_number(cy - 4.5) + " " +
           svg_number(cx + 4.5) + "," + svg_number(cy + 3.5) + " " + svg_number(cx - 4.5) + "," +
           svg_number(cy + 3.5) + "\"/>";
  } else {
    svg += "<circle cx=\"" + svg_number(cx) + "\" cy=\"" + svg_number(cy) + "\" r=\"3.5\"/>";
  }
}

/// Appends a `<text>` element; `attributes` are trusted, `text` is escaped.
inline void append_text(std::string& svg, double x, double y, std::string_view attributes,
                        std::string_view text) {
  svg += "<text x=\"" + svg_number(x) + "\" y=\"" + svg_number(y) + "\"";
  if (!attributes.empty()) {
    svg += ' ';
    svg += attributes;
  }
  svg += '>';
  append_xml_text(svg, text);
  svg += "</text>\n";
}

/// The stroke attributes of a style's line.
inline std::string stroke_attributes(const CurveStyle& style) {
  std::string attributes = "fill=\"none\" stroke=\"" + std::string(style.colour) +
                           "\" stroke-width=\"2\" stroke-linejoin=\"round\"";
  if (style.dash[0] != '\0') attributes += " stroke-dasharray=\"" + std::string(style.dash) + "\"";
  return attributes;
}

/// Where the best validation AUC was reached.
struct BestPoint {
  double epoch = 0;
  double auc = 0;
};

/// What one panel shows.
struct PanelSpec {
  std::string id{};                    // "loss" or "auc": prefix of element ids
  double x0 = 0;                       // left edge of the panel
  std::string title{};                 // above the legend
  std::string y_title{};               // rotated, left of the tick labels
  std::vector<const Curve*> curves{};  // possibly empty
  std::string empty_message{};         // shown when no curve has a point
  std::optional<BestPoint> best{};     // vertical line, and the ring when ring_best
  bool ring_best = false;
};

inline constexpr double kSvgWidth = 960;
inline constexpr double kSvgHeight = 440;
inline constexpr double kPanelWidth = kSvgWidth / 2;

/// Appends one panel: frame, grid, ticks, axis titles, legend, curves, markers, best epoch.
inline void append_panel(std::string& svg, const PanelSpec& panel, const NiceAxis& x_axis) {
  PlotArea area;
  area.left = panel.x0 + 76;
  area.right = panel.x0 + kPanelWidth - 20;
  area.top = 96;
  area.bottom = kSvgHeight - 62;
  area.x = x_axis;
  double y_min = 0, y_max = 0;
  bool any = false;
  for (const Curve* curve : panel.curves)
    for (const auto& [x, y] : curve->points) {
      y_min = any ? std::min(y_min, y) : y;
      y_max = any ? std::max(y_max, y) : y;
      any = true;
    }
  area.y = any ? nice_value_axis(y_min, y_max, 6) : NiceAxis{};
  const double centre = (area.left + area.right) / 2;

  svg += "<g id=\"" + panel.id + "-panel\">\n";
  append_text(svg, centre, 56, "text-anchor=\"middle\" font-size=\"14\" font-weight=\"bold\"",
              panel.title);

  // Grid and tick labels first, so that the curves are drawn over them.
  svg += "<g stroke=\"#e3e3e3\" stroke-width=\"1\">\n";
  // Without data, ticks would label nothing: the frame and a message say it.
  const std::vector<double> x_ticks = any ? axis_ticks(area.x) : std::vector<double>{};
  const std::vector<double> y_ticks = any ? axis_ticks(area.y) : std::vector<double>{};
  for (const double t : x_ticks)
    svg += "<line x1=\"" + svg_number(area.px(t)) + "\" y1=\"" + svg_number(area.top) + "\" x2=\"" +
           svg_number(area.px(t)) + "\" y2=\"" + svg_number(area.bottom) + "\"/>\n";
  for (const double t : y_ticks)
    svg += "<line x1=\"" + svg_number(area.left) + "\" y1=\"" + svg_number(area.py(t)) +
           "\" x2=\"" + svg_number(area.right) + "\" y2=\"" + svg_number(area.py(t)) + "\"/>\n";
  svg += "</g>\n";
  svg += "<rect x=\"" + svg_number(area.left) + "\" y=\"" + svg_number(area.top) + "\" width=\"" +
         svg_number(area.right - area.left) + "\" height=\"" + svg_number(area.bottom - area.top) +
         "\" fill=\"none\" stroke=\"#444\" stroke-width=\"1\"/>\n";
  svg += "<g font-size=\"11\" fill=\"#333\">\n";
  for (const double t : x_ticks)
    append_text(svg, area.px(t), area.bottom + 16, "text-anchor=\"middle\"", fixed_text(t, 0));
  for (const double t : y_ticks)
    append_text(svg, area.left - 6, area.py(t) + 4, "text-anchor=\"end\"",
                fixed_text(t, area.y.decimals));
  svg += "</g>\n";
  append_text(svg, centre, area.bottom + 40, "text-anchor=\"middle\" font-size=\"12\"", "epoch");
  const double y_title_x = panel.x0 + 18;
  const double y_title_y = (area.top + area.bottom) / 2;
  append_text(svg, y_title_x, y_title_y,
              "text-anchor=\"middle\" font-size=\"12\" transform=\"rotate(-90 " +
                  svg_number(y_title_x) + " " + svg_number(y_title_y) + ")\"",
              panel.y_title);

  if (!any) {
    append_text(svg, centre, y_title_y, "text-anchor=\"middle\" font-size=\"13\" fill=\"#777\"",
                panel.empty_message);
    svg += "</g>\n";
    return;
  }

  if (panel.best) {
    const double x = area.px(panel.best->epoch);
    svg += "<line id=\"" + panel.id + "-best-epoch\" x1=\"" + svg_number(x) + "\" y1=\"" +
           svg_number(area.top) + "\" x2=\"" + svg_number(x) + "\" y2=\"" +
           svg_number(area.bottom) +
           "\" stroke=\"#777\" stroke-width=\"1\" stroke-dasharray=\"3 3\"/>\n";
  }

  for (const Curve* curve : panel.curves) {
    if (curve->points.empty()) continue;
    svg += "<polyline id=\"" + curve->id + "\" " + stroke_attributes(*curve->style) + " points=\"";
    for (std::size_t i = 0; i < curve->points.size(); ++i) {
      if (i > 0) svg += ' ';
      svg += svg_number(area.px(curve->points[i].first)) + "," +
             svg_number(area.py(curve->points[i].second));
    }
    svg += "\"/>\n";
    if (curve->points.size() <= kMaxMarkedPoints) {
      svg += "<g id=\"" + curve->id + "-markers\" fill=\"" + curve->style->colour + "\">";
      for (const auto& [x, y] : curve->points)
        append_marker(svg, curve->style->marker, area.px(x), area.py(y));
      svg += "</g>\n";
    }
  }

  if (panel.best && panel.ring_best)
    svg += "<circle id=\"best-valid-auc\" cx=\"" + svg_number(area.px(panel.best->epoch)) +
           "\" cy=\"" + svg_number(area.py(panel.best->auc)) +
           "\" r=\"8\" fill=\"none\" stroke=\"#000\" stroke-width=\"1.5\"/>\n";

  // Legend: one entry per drawn set, then the best-epoch marks.
  double lx = area.left;
  const double ly = 76;
  svg += "<g font-size=\"12\" fill=\"#222\">\n";
  for (const Curve* curve : panel.curves) {
    if (curve->points.empty()) continue;
    const CurveStyle& style = *curve->style;
    svg += "<line x1=\"" + svg_number(lx) + "\" y1=\"" + svg_number(ly) + "\" x2=\"" +
           svg_number(lx + 28) + "\" y2=\"" + svg_number(ly) + "\" " + stroke_attributes(style) +
           "/>";
    svg += "<g fill=\"" + std::string(style.colour) + "\">";
    append_marker(svg, style.marker, lx + 14, ly);
    svg += "</g>";
    append_text(svg, lx + 34, ly + 4, "", style.name);
    lx += 34 + 7.5 * static_cast<double>(std::string_view(style.name).size()) + 18;
  }
  if (panel.best && panel.ring_best) {
    svg += "<circle cx=\"" + svg_number(lx + 8) + "\" cy=\"" + svg_number(ly) +
           "\" r=\"6\" fill=\"none\" stroke=\"#000\" stroke-width=\"1.5\"/>";
    svg += "<line x1=\"" + svg_number(lx + 22) + "\" y1=\"" + svg_number(ly - 7) + "\" x2=\"" +
           svg_number(lx + 22) + "\" y2=\"" + svg_number(ly + 7) +
           "\" stroke=\"#777\" stroke-width=\"1\" stroke-dasharray=\"3 3\"/>";
    append_text(svg, lx + 30, ly + 4, "", "best valid AUC");
  }
  svg += "</g>\n</g>\n";
}

}  // namespace detail

/// The learning curves of `history` (one EpochStats per epoch, in order) as an SVG document
/// titled `title` (escaped; shortened past 110 bytes). No number in it is ever "nan" or "inf".
inline std::string learning_curves_svg(std::span<const EpochStats> history,
                                       std::string_view title) {
  using detail::Curve;
  Curve train_loss{"train-loss", &detail::kTrainCurve};
  Curve valid_loss{"valid-loss", &detail::kValidCurve};
  Curve test_loss{"test-loss", &detail::kTestCurve};
  Curve valid_auc{"valid-auc", &detail::kValidCurve};
  Curve test_auc{"test-auc", &detail::kTestCurve};
  double first_epoch = 0, last_epoch = 0;
  for (std::size_t i = 0; i < history.size(); ++i) {
    const EpochStats& stats = history[i];
    const auto x = static_cast<double>(stats.epoch);
    first_epoch = i == 0 ? x : std::min(first_epoch, x);
    last_epoch = i == 0 ? x : std::max(last_epoch, x);
    train_loss.add(x, stats.train_loss);
    if (stats.validation) {
      valid_loss.add(x, stats.validation->logloss);
      if (stats.validation->auc) valid_auc.add(x, *stats.validation->auc);
    }
    if (stats.test) {
      test_loss.add(x, stats.test->logloss);
      if (stats.test->auc) test_auc.add(x, *stats.test->auc);
    }
  }
  std::optional<detail::BestPoint> best;
  for (const auto& [x, y] : valid_auc.points)
    if (!best || y > best->auc) best = detail::BestPoint{x, y};
  const detail::NiceAxis x_axis = detail::nice_epoch_axis(first_epoch, last_epoch);

  // Long titles are cut at a character boundary so that they stay inside the picture.
  std::string shown_title(title);
  if (shown_title.size() > 110) {
    std::size_t cut = 107;
    while (cut > 0 && (static_cast<unsigned char>(shown_title[cut]) & 0xC0) == 0x80) --cut;
    shown_title = shown_title.substr(0, cut) + "...";
  }

  std::string svg;
  svg.reserve(8192 + history.size() * 120);
  const std::string width = detail::svg_number(detail::kSvgWidth);
  const std::string height = detail::svg_number(detail::kSvgHeight);
  svg += "<?xml version=\"1.0\" encoding=\"UTF-8\" standalone=\"no\"?>\n";
  svg += "<svg xmlns=\"http://www.w3.org/2000/svg\" version=\"1.1\" width=\"" + width +
         "\" height=\"" + height + "\" viewBox=\"0 0 " + width + " " + height +
         "\" font-family=\"DejaVu Sans, Helvetica, Arial, sans-serif\">\n";
  svg += "<title>";
  append_xml_text(svg, title.empty() ? std::string_view("learning curves") : title);
  svg += "</title>\n";
  svg += "<rect width=\"" + width + "\" height=\"" + height + "\" fill=\"#fff\"/>\n";
  detail::append_text(svg, detail::kSvgWidth / 2, 26,
                      "text-anchor=\"middle\" font-size=\"15\" font-weight=\"bold\"",
                      shown_title.empty() ? std::string("learning curves") : shown_title);

  detail::PanelSpec loss;
  loss.id = "loss";
  loss.x0 = 0;
  loss.title = "Log loss";
  loss.y_title = "log loss";
  loss.curves = {&train_loss, &valid_loss, &test_loss};
  loss.empty_message = history.empty() ? "no epochs yet" : "no finite loss";
  loss.best = best;
  detail::append_panel(svg, loss, x_axis);

  detail::PanelSpec auc;
  auc.id = "auc";
  auc.x0 = detail::kPanelWidth;
  auc.title = best ? "ROC AUC (best valid " + fixed_text(best->auc, 4) + " at epoch " +
                         fixed_text(best->epoch, 0) + ")"
                   : std::string("ROC AUC");
  auc.y_title = "AUC";
  auc.curves = {&valid_auc, &test_auc};
  auc.empty_message = history.empty() ? "no epochs yet" : "no validation or test AUC";
  auc.best = best;
  auc.ring_best = true;
  detail::append_panel(svg, auc, x_axis);

  svg += "</svg>\n";
  return svg;
}

/// Writes learning_curves_svg(history, title) to `path`, replacing it whole: the document
/// goes to a temporary file beside it, renamed over `path` once complete, so a viewer that
/// reloads the plot every epoch never reads half a file. Throws DataError naming `path` when
/// the file cannot be written.
inline void write_learning_curves_svg(const std::filesystem::path& path,
                                      std::span<const EpochStats> history, std::string_view title) {
  const std::string svg = learning_curves_svg(history, title);
  std::filesystem::path temporary = path;
  temporary += ".tmp";
  {
    std::ofstream out(temporary, std::ios::binary | std::ios::trunc);
    if (!out) throw DataError(path.string(), 0, "cannot write the learning-curve plot");
    out.write(svg.data(), static_cast<std::streamsize>(svg.size()));
    out.close();
    if (!out) {
      std::error_code ignored;
      std::filesystem::remove(temporary, ignored);
      throw DataError(path.string(), 0, "cannot write the learning-curve plot");
    }
  }
  std::error_code error;
  std::filesystem::rename(temporary, path, error);
  if (error) {
    std::error_code ignored;
    std::filesystem::remove(temporary, ignored);
    throw DataError(path.string(), 0, "cannot write the learning-curve plot: " + error.message());
  }
}

}  // namespace deepfm
