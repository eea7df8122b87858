// Golden test of eval/ event and sample scoring against SzCORE's `timescoring` package (esl-epfl/timescoring).
// Reference: scripts/golden/timescoring_reference.py, run at test time with /usr/bin/python3. timescoring is not
// packaged by Debian, so this test SKIPS unless `import timescoring` works (e.g. PYTHONPATH=<timescoring>/src).
// The hand-computed cases in events_test.cpp always run.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cmath>
#include <sstream>

#include "epilepsyfm/core/fs.h"
#include "epilepsyfm/eval/metrics/events.h"
#include "support/test_support.h"

namespace efm::eval {
namespace {

struct TsScores {
  int64_t ref_true = 0, tp = 0, fp = 0;
  double sensitivity = 0, precision = 0, f1 = 0, fp_rate = 0;
};

struct TsCase {
  std::string name;
  double fs = 1;
  int64_t n = 0;
  EventScoringOptions options;
  Mask ref, hyp;
  TsScores event, sample, sample_1hz;
};

Mask mask_from_runs(std::istringstream& in, int64_t n) {
  Mask m(static_cast<size_t>(n), 0);
  for (int64_t a, b; in >> a >> b;) std::fill(m.begin() + a, m.begin() + b, uint8_t{1});
  return m;
}

TsScores read_scores(std::istringstream& in) {
  TsScores s;
  std::string sens, prec, f1, rate;
  in >> s.ref_true >> s.tp >> s.fp >> sens >> prec >> f1 >> rate;
  s.sensitivity = std::strtod(sens.c_str(), nullptr);  // strtod reads "nan"
  s.precision = std::strtod(prec.c_str(), nullptr);
  s.f1 = std::strtod(f1.c_str(), nullptr);
  s.fp_rate = std::strtod(rate.c_str(), nullptr);
  return s;
}

std::vector<TsCase> parse(const std::string& text) {
  std::vector<TsCase> cases;
  std::istringstream in(text);
  std::string line;
  while (std::getline(in, line)) {
    std::istringstream ls(line);
    std::string key;
    ls >> key;
    if (key == "case") {
      cases.emplace_back();
      ls >> cases.back().name;
      continue;
    }
    if (cases.empty() || key == "end") continue;
    TsCase& c = cases.back();
    if (key == "fs") ls >> c.fs;
    if (key == "n") ls >> c.n;
    if (key == "params") {
      ls >> c.options.tolerance_start_s >> c.options.tolerance_end_s >> c.options.min_overlap >>
          c.options.max_event_duration_s >> c.options.min_duration_between_events_s;
    }
    if (key == "ref") c.ref = mask_from_runs(ls, c.n);
    if (key == "hyp") c.hyp = mask_from_runs(ls, c.n);
    if (key == "event") c.event = read_scores(ls);
    if (key == "sample") c.sample = read_scores(ls);
    if (key == "sample_1hz") c.sample_1hz = read_scores(ls);
  }
  return cases;
}

// NaN equals NaN (timescoring's "undefined"); otherwise 1e-12 (identical formulas on small integer counts).
void expect_same(double actual, double expected, const char* what) {
  if (std::isnan(expected)) {
    EXPECT_TRUE(std::isnan(actual)) << what << " = " << actual << ", timescoring: nan";
  } else {
    EXPECT_NEAR(actual, expected, 1e-12 * std::max(1.0, std::abs(expected))) << what;
  }
}

TEST(TimescoringGolden, EventAndSampleScoringMatchTimescoring) {
  EFM_REQUIRE_PYTHON(py, "timescoring", "numpy");
  test::TempDir dir("timescoring_golden");
  const auto out = dir / "cases.txt";
  const auto script = test::source_dir() / "scripts/golden/timescoring_reference.py";
  const auto r = test::run_command(test::shell_quote(py) + " " + test::shell_quote(script.string()) + " --out " +
                                   test::shell_quote(out.string()));
  ASSERT_EQ(r.exit_code, 0) << r.output;
  const std::vector<TsCase> cases = parse(efm::read_file(out));
  ASSERT_EQ(cases.size(), 144u);
  for (const TsCase& c : cases) {
    SCOPED_TRACE(c.name);
    const EventScore e = score_event_masks(c.ref, c.hyp, c.fs, c.options);
    EXPECT_EQ(e.n_reference, c.event.ref_true);
    EXPECT_EQ(e.true_positives, c.event.tp);
    EXPECT_EQ(e.false_positives, c.event.fp);
    expect_same(e.sensitivity, c.event.sensitivity, "event sensitivity");
    expect_same(e.precision, c.event.precision, "event precision");
    expect_same(e.f1, c.event.f1, "event f1");
    expect_same(e.false_alarms_per_24h, c.event.fp_rate, "event fpRate");

    const SampleScore s = score_sample_masks(c.ref, c.hyp, c.fs);
    EXPECT_EQ(s.reference_positive, c.sample.ref_true);
    EXPECT_EQ(s.true_positives, c.sample.tp);
    EXPECT_EQ(s.false_positives, c.sample.fp);
    expect_same(s.f1, c.sample.f1, "sample f1");
    expect_same(s.false_alarms_per_24h, c.sample.fp_rate, "sample fpRate");

    const double duration_s = static_cast<double>(c.n) / c.fs;
    const SampleScore s1 =
        score_samples(events_from_mask(c.ref, c.fs), events_from_mask(c.hyp, c.fs), duration_s, /*label_rate_hz=*/1);
    EXPECT_EQ(s1.reference_positive, c.sample_1hz.ref_true);
    EXPECT_EQ(s1.true_positives, c.sample_1hz.tp);
    EXPECT_EQ(s1.false_positives, c.sample_1hz.fp);
    expect_same(s1.sensitivity, c.sample_1hz.sensitivity, "1 Hz sample sensitivity");
    expect_same(s1.false_alarms_per_24h, c.sample_1hz.fp_rate, "1 Hz sample fpRate");
  }
}

}  // namespace
}  // namespace efm::eval
