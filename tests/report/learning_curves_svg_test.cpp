// report/learning_curves_svg.hpp: the --plot SVG is well-formed and shows what was measured.
#include <catch2/catch.hpp>

#include <cmath>
#include <cstddef>
#include <deepfm/report/learning_curves_svg.hpp>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <limits>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

#include "support/scratch_dir.hpp"

namespace {

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();
constexpr double kInf = std::numeric_limits<double>::infinity();

struct Element {
  std::string name;
  std::string attributes;  // raw text between the name and '>'
};

// A small XML well-formedness checker: one root, balanced and properly nested tags, quoted
// attributes, only the five predefined entities or numeric references, no raw '<' or '&' in
// text. Returns every start tag in document order.
std::vector<Element> check_xml(std::string_view xml) {
  std::vector<Element> elements;
  std::vector<std::string> open;
  std::size_t roots = 0;
  std::size_t i = 0;
  const auto fail = [&](const std::string& what) {
    throw std::runtime_error("XML at " + std::to_string(i) + ": " + what);
  };
  const auto check_entities = [&](std::string_view text) {
    for (std::size_t k = 0; k < text.size(); ++k) {
      if (text[k] == '<') fail("raw '<'");
      if (text[k] != '&') continue;
      const std::size_t end = text.find(';', k);
      if (end == std::string_view::npos) fail("unterminated entity");
      const std::string_view entity = text.substr(k + 1, end - k - 1);
      if (entity != "amp" && entity != "lt" && entity != "gt" && entity != "quot" &&
          entity != "apos" && (entity.empty() || entity[0] != '#'))
        fail("unknown entity " + std::string(entity));
    }
  };
  if (xml.substr(0, 5) == "<?xml") {
    i = xml.find("?>");
    if (i == std::string_view::npos) fail("unterminated declaration");
    i += 2;
  }
  while (i < xml.size()) {
    const std::size_t lt = xml.find('<', i);
    const std::string_view text = xml.substr(i, lt == std::string_view::npos ? xml.npos : lt - i);
    check_entities(text);
    if (open.empty() && text.find_first_not_of(" \n\r\t") != std::string_view::npos)
      fail("text outside the root");
    if (lt == std::string_view::npos) break;
    i = lt;
    const std::size_t gt = xml.find('>', i);
    if (gt == std::string_view::npos) fail("unterminated tag");
    std::string_view tag = xml.substr(i + 1, gt - i - 1);
    i = gt + 1;
    if (!tag.empty() && tag[0] == '/') {
      if (open.empty() || open.back() != tag.substr(1))
        fail("mismatched </" + std::string(tag.substr(1)) + ">");
      open.pop_back();
      continue;
    }
    const bool self_closing = !tag.empty() && tag.back() == '/';
    if (self_closing) tag.remove_suffix(1);
    const std::size_t name_end = tag.find_first_of(" \n\t");
    Element element{std::string(tag.substr(0, name_end)),
                    name_end == std::string_view::npos ? "" : std::string(tag.substr(name_end))};
    if (element.name.empty()) fail("empty tag name");
    // Attributes: name="value" pairs, separated by spaces.
    std::string_view attributes = element.attributes;
    while (true) {
      const std::size_t start = attributes.find_first_not_of(" \n\t");
      if (start == std::string_view::npos) break;
      attributes.remove_prefix(start);
      const std::size_t eq = attributes.find('=');
      if (eq == std::string_view::npos || eq + 1 >= attributes.size() || attributes[eq + 1] != '"')
        fail("unquoted attribute in <" + element.name + ">");
      const std::size_t close = attributes.find('"', eq + 2);
      if (close == std::string_view::npos) fail("unterminated attribute");
      check_entities(attributes.substr(eq + 2, close - eq - 2));
      attributes.remove_prefix(close + 1);
    }
    if (open.empty()) ++roots;
    elements.push_back(element);
    if (!self_closing) open.push_back(element.name);
  }
  if (!open.empty()) fail("unclosed <" + open.back() + ">");
  if (roots != 1) fail("expected one root element");
  return elements;
}

// The value of attribute `name` in a start tag's attribute text, or nullopt.
std::optional<std::string> attribute(const Element& element, const std::string& name) {
  const std::string key = " " + name + "=\"";
  const std::size_t at = element.attributes.find(key);
  if (at == std::string::npos) return std::nullopt;
  const std::size_t start = at + key.size();
  return element.attributes.substr(start, element.attributes.find('"', start) - start);
}

// The element with id `id`, or nullptr.
const Element* by_id(const std::vector<Element>& elements, const std::string& id) {
  for (const Element& element : elements)
    if (attribute(element, "id") == id) return &element;
  return nullptr;
}

// Number of "x,y" pairs in the polyline `id`; 0 when there is no such polyline.
std::size_t polyline_points(const std::vector<Element>& elements, const std::string& id) {
  const Element* element = by_id(elements, id);
  if (element == nullptr) return 0;
  REQUIRE(element->name == "polyline");
  const std::string points = attribute(*element, "points").value();
  std::size_t pairs = 0;
  for (const char c : points) pairs += c == ',' ? 1 : 0;
  return pairs;
}

deepfm::Metrics metrics(double logloss, std::optional<double> auc) {
  deepfm::Metrics m;
  m.logloss = logloss;
  m.auc = auc;
  m.accuracy = 0.8;
  m.rows = 100;
  return m;
}

std::vector<deepfm::EpochStats> history(std::size_t epochs, bool valid, bool test) {
  std::vector<deepfm::EpochStats> out;
  for (std::size_t e = 1; e <= epochs; ++e) {
    deepfm::EpochStats s;
    s.epoch = e;
    const double t = static_cast<double>(e);
    s.train_loss = 0.4 + 0.3 / t;
    s.seconds = 1;
    s.samples_per_second = 1e5;
    if (valid) s.validation = metrics(0.45 + 0.3 / t, 0.8 - 0.1 / t - 0.001 * t);
    if (test) s.test = metrics(0.46 + 0.3 / t, 0.79 - 0.1 / t);
    out.push_back(s);
  }
  return out;
}

void check_no_non_finite_text(const std::string& svg) {
  for (const char* word : {"nan", "NaN", "inf", "Inf"}) {
    INFO(word);
    CHECK(svg.find(word) == std::string::npos);
  }
}

}  // namespace

TEST_CASE("learning_curves_svg draws every series of a full history", "[svg][report]") {
  const auto h = history(12, true, true);
  const std::string svg = deepfm::learning_curves_svg(h, "DeepFM on criteo");
  const std::vector<Element> elements = check_xml(svg);
  REQUIRE(elements.front().name == "svg");
  CHECK(attribute(elements.front(), "xmlns") == "http://www.w3.org/2000/svg");
  CHECK(attribute(elements.front(), "version") == "1.1");
  for (const char* id : {"train-loss", "valid-loss", "test-loss", "valid-auc", "test-auc"}) {
    INFO(id);
    CHECK(polyline_points(elements, id) == 12);
    CHECK(by_id(elements, std::string(id) + "-markers") != nullptr);
  }
  // Axis titles, legend labels and panel titles are there as text.
  for (const char* text : {">epoch</text>", ">log loss</text>", ">AUC</text>", ">train</text>",
                           ">valid</text>", ">test</text>", ">DeepFM on criteo</text>"}) {
    INFO(text);
    CHECK(svg.find(text) != std::string::npos);
  }
  check_no_non_finite_text(svg);
}

TEST_CASE("learning_curves_svg marks the epoch of the best validation AUC", "[svg][report]") {
  auto h = history(10, true, false);
  // AUC rises to epoch 6 and falls after it.
  for (auto& s : h) s.validation->auc = 0.8 - 0.01 * std::fabs(static_cast<double>(s.epoch) - 6.0);
  const std::string svg = deepfm::learning_curves_svg(h, "t");
  const std::vector<Element> elements = check_xml(svg);
  CHECK(svg.find("best valid 0.8000 at epoch 6") != std::string::npos);
  const Element* ring = by_id(elements, "best-valid-auc");
  const Element* auc_line = by_id(elements, "auc-best-epoch");
  const Element* loss_line = by_id(elements, "loss-best-epoch");
  REQUIRE(ring != nullptr);
  REQUIRE(auc_line != nullptr);
  REQUIRE(loss_line != nullptr);
  // The ring sits on the sixth point of the valid AUC polyline.
  const std::string points = attribute(*by_id(elements, "valid-auc"), "points").value();
  std::size_t start = 0;
  for (int k = 0; k < 5; ++k) start = points.find(' ', start) + 1;
  const std::string sixth = points.substr(start, points.find(' ', start) - start);
  CHECK(sixth == attribute(*ring, "cx").value() + "," + attribute(*ring, "cy").value());
  CHECK(attribute(*auc_line, "x1") == attribute(*ring, "cx"));
}

TEST_CASE("learning_curves_svg leaves out sets that were never scored", "[svg][report]") {
  const std::string svg = deepfm::learning_curves_svg(history(5, false, false), "train only");
  const std::vector<Element> elements = check_xml(svg);
  CHECK(polyline_points(elements, "train-loss") == 5);
  for (const char* id :
       {"valid-loss", "test-loss", "valid-auc", "test-auc", "best-valid-auc", "auc-best-epoch"}) {
    INFO(id);
    CHECK(by_id(elements, id) == nullptr);
  }
  CHECK(svg.find(">valid</text>") == std::string::npos);
  CHECK(svg.find("no validation or test AUC") != std::string::npos);

  const std::vector<Element> with_test =
      check_xml(deepfm::learning_curves_svg(history(5, false, true), "train and test"));
  CHECK(polyline_points(with_test, "test-auc") == 5);
  CHECK(by_id(with_test, "valid-auc") == nullptr);
  CHECK(by_id(with_test, "best-valid-auc") == nullptr);  // best is by validation only
}

TEST_CASE("learning_curves_svg handles a single epoch", "[svg][report]") {
  const std::string svg = deepfm::learning_curves_svg(history(1, true, true), "one");
  const std::vector<Element> elements = check_xml(svg);
  for (const char* id : {"train-loss", "valid-loss", "test-loss", "valid-auc", "test-auc"}) {
    INFO(id);
    CHECK(polyline_points(elements, id) == 1);
    // One point draws no line, so its marker is what shows it.
    CHECK(by_id(elements, std::string(id) + "-markers") != nullptr);
  }
  CHECK(svg.find(">1</text>") != std::string::npos);  // the one epoch's tick
  check_no_non_finite_text(svg);
}

TEST_CASE("learning_curves_svg skips non-finite points", "[svg][report]") {
  auto h = history(6, true, true);
  h[1].train_loss = kNaN;
  h[2].train_loss = kInf;
  h[3].validation->logloss = -kInf;
  h[4].validation->auc = std::nullopt;
  h[0].test->auc = kNaN;
  h[5].test->logloss = 1e300;  // diverged
  const std::string svg = deepfm::learning_curves_svg(h, "skipped points");
  const std::vector<Element> elements = check_xml(svg);
  CHECK(polyline_points(elements, "train-loss") == 4);
  CHECK(polyline_points(elements, "valid-loss") == 5);
  CHECK(polyline_points(elements, "valid-auc") == 5);
  CHECK(polyline_points(elements, "test-auc") == 5);
  CHECK(polyline_points(elements, "test-loss") == 5);
}

TEST_CASE("learning_curves_svg never writes nan or inf", "[svg][report]") {
  auto h = history(4, true, true);
  for (auto& s : h) {
    s.train_loss = kNaN;
    s.validation->logloss = kInf;
    s.validation->auc = kNaN;
    s.test->logloss = -kInf;
    s.test->auc = kNaN;
  }
  const std::string svg = deepfm::learning_curves_svg(h, "all bad");
  const std::vector<Element> elements = check_xml(svg);
  check_no_non_finite_text(svg);
  CHECK(by_id(elements, "train-loss") == nullptr);
  CHECK(svg.find("no finite loss") != std::string::npos);
}

TEST_CASE("learning_curves_svg widens a constant curve", "[svg][report]") {
  auto h = history(5, true, false);
  for (auto& s : h) {
    s.train_loss = 0.5;
    s.validation->logloss = 0.5;
    s.validation->auc = 0.75;
  }
  const std::string svg = deepfm::learning_curves_svg(h, "flat");
  const std::vector<Element> elements = check_xml(svg);
  CHECK(polyline_points(elements, "train-loss") == 5);
  // Ticks below and above the constant value: the range was widened, not divided by zero.
  CHECK(svg.find(">0.44</text>") != std::string::npos);
  CHECK(svg.find(">0.56</text>") != std::string::npos);
  check_no_non_finite_text(svg);
}

TEST_CASE("learning_curves_svg of no epochs is a valid empty plot", "[svg][report]") {
  const std::string svg = deepfm::learning_curves_svg({}, "");
  check_xml(svg);
  CHECK(svg.find("no epochs yet") != std::string::npos);
  CHECK(svg.find("<polyline") == std::string::npos);
}

TEST_CASE("learning_curves_svg scales to thousands of epochs without markers", "[svg][report]") {
  const std::string svg = deepfm::learning_curves_svg(history(3000, true, false), "long");
  const std::vector<Element> elements = check_xml(svg);
  CHECK(polyline_points(elements, "train-loss") == 3000);
  CHECK(polyline_points(elements, "valid-auc") == 3000);
  CHECK(by_id(elements, "train-loss-markers") == nullptr);
  CHECK(svg.find(">3000</text>") != std::string::npos);
  // Round-number ticks: no label like 2999.
  CHECK(svg.find(">2999</text>") == std::string::npos);
}

TEST_CASE("learning_curves_svg escapes the title", "[svg][report]") {
  const std::string svg =
      deepfm::learning_curves_svg(history(2, true, true), "a<b & \"c\" 'd' \x01 caf\xE9");
  check_xml(svg);
  CHECK(svg.find("a&lt;b &amp; &quot;c&quot; &apos;d&apos;") != std::string::npos);
  CHECK(svg.find('\x01') == std::string::npos);
  CHECK(svg.find("caf\xEF\xBF\xBD") != std::string::npos);  // invalid UTF-8 replaced
}

TEST_CASE("learning_curves_svg shortens a long title at a character boundary", "[svg][report]") {
  std::string title;
  for (int k = 0; k < 80; ++k) title += "\xC3\xA9";  // 160 bytes of 'é'
  const std::string svg = deepfm::learning_curves_svg(history(2, false, false), title);
  check_xml(svg);
  const std::size_t at = svg.find("\xC3\xA9...</text>");
  CHECK(at != std::string::npos);
}

TEST_CASE("write_learning_curves_svg writes the document and replaces it", "[svg][report]") {
  const deepfm::test::ScratchDir dir("svg");
  const std::filesystem::path file = dir.path / "curves.svg";
  deepfm::write_learning_curves_svg(file, history(3, true, false), "first");
  deepfm::write_learning_curves_svg(file, history(4, true, false), "second");
  std::ifstream in(file, std::ios::binary);
  const std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  CHECK(text == deepfm::learning_curves_svg(history(4, true, false), "second"));
  CHECK(dir.entries() == 1);  // no temporary file left behind
}

TEST_CASE("write_learning_curves_svg names the file it cannot write", "[svg][report]") {
  const deepfm::test::ScratchDir dir("svg");
  const std::filesystem::path file = dir.path / "missing_folder" / "curves.svg";
  try {
    deepfm::write_learning_curves_svg(file, history(2, true, false), "t");
    FAIL("no exception");
  } catch (const deepfm::DataError& error) {
    CHECK(error.file() == file.string());
    CHECK(std::string(error.what()).find("curves.svg") != std::string::npos);
  }
  CHECK_FALSE(std::filesystem::exists(file));
}

TEST_CASE("the XML checker rejects malformed documents", "[svg][report]") {
  for (const char* bad : {"<svg><g></svg>", "<svg><g></g>", "<svg a=b/>", "<svg>a < b</svg>",
                          "<svg>&nbsp;</svg>", "<svg/><svg/>", "text<svg/>", "<svg x=\"1/>"}) {
    INFO(bad);
    CHECK_THROWS(check_xml(bad));
  }
  CHECK_NOTHROW(check_xml("<?xml version=\"1.0\"?>\n<svg a=\"&amp;\"><g/><t>x &lt; y</t></svg>\n"));
}
