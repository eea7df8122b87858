// Golden tests of signal/ DSP against MNE 1.3 / SciPy 1.10.
// Reference: scripts/golden/dsp_reference.py --out <tmp> --kinds <kind> (run here with Debian's /usr/bin/python3);
// it writes each case's input and reference output as float64 and a manifest line with the parameters.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <Eigen/Core>

#include <cmath>
#include <fstream>
#include <map>
#include <sstream>

#include "epilepsyfm/signal/filter_design.h"
#include "epilepsyfm/signal/fir.h"
#include "epilepsyfm/signal/preprocess.h"
#include "epilepsyfm/signal/rate.h"
#include "epilepsyfm/signal/resample.h"
#include "support/test_support.h"

namespace efm::signal {
namespace {

struct GoldenCase {
  std::string name, kind;
  std::map<std::string, std::string> params;
  Eigen::MatrixXd input, ref;  // [channels, samples]

  double num(const std::string& key) const { return std::stod(params.at(key)); }
  std::optional<double> opt(const std::string& key) const {
    const std::string& v = params.at(key);
    return v == "none" ? std::nullopt : std::optional<double>(std::stod(v));
  }
  std::vector<double> list(const std::string& key) const {
    std::vector<double> out;
    std::stringstream ss(params.at(key));
    std::string item;
    while (std::getline(ss, item, '/')) out.push_back(std::stod(item));
    return out;
  }
};

Eigen::MatrixXd read_f64(const std::filesystem::path& path, int64_t rows, int64_t cols) {
  std::ifstream in(path, std::ios::binary);
  EXPECT_TRUE(in.good()) << path;
  // Row-major on disk.
  Eigen::Matrix<double, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor> m(rows, cols);
  in.read(reinterpret_cast<char*>(m.data()), static_cast<std::streamsize>(rows * cols * sizeof(double)));
  EXPECT_EQ(in.gcount(), static_cast<std::streamsize>(rows * cols * sizeof(double))) << path;
  return m;
}

// Runs the reference script for `kind` and loads its cases.
std::vector<GoldenCase> load_cases(const std::string& python, const std::string& kind, const test::TempDir& dir) {
  const std::string script = (test::source_dir() / "scripts/golden/dsp_reference.py").string();
  const auto r = test::run_command(test::shell_quote(python) + " " + test::shell_quote(script) + " --out " +
                                   test::shell_quote(dir.path().string()) + " --kinds " + kind);
  EXPECT_EQ(r.exit_code, 0) << r.output;
  std::vector<GoldenCase> cases;
  std::ifstream manifest(dir / "manifest.txt");
  std::string line;
  while (std::getline(manifest, line)) {
    if (line.empty() || line[0] == '#') continue;
    std::stringstream ss(line);
    GoldenCase c;
    ss >> c.name >> c.kind;
    std::string kv;
    while (ss >> kv) {
      const size_t eq = kv.find('=');
      c.params[kv.substr(0, eq)] = kv.substr(eq + 1);
    }
    if (c.params.count("channels")) {
      c.input = read_f64(dir / (c.name + ".in.f64"), std::stoll(c.params["channels"]), std::stoll(c.params["samples"]));
    }
    c.ref = read_f64(dir / (c.name + ".ref.f64"), std::stoll(c.params["ref_channels"]),
                     std::stoll(c.params["ref_samples"]));
    cases.push_back(std::move(c));
  }
  EXPECT_FALSE(cases.empty()) << "no '" << kind << "' cases in " << dir.path();
  return cases;
}

// max |a - b| over a column range, relative to max |b| over all of b.
double relative_error(const Eigen::MatrixXd& ours, const Eigen::MatrixXd& ref, int64_t from = 0, int64_t to = -1) {
  if (to < 0) to = ref.cols();
  const double scale = ref.cwiseAbs().maxCoeff();
  return (ours.middleCols(from, to - from) - ref.middleCols(from, to - from)).cwiseAbs().maxCoeff() / scale;
}

TEST(SignalGolden, KernelsMatchMne) {
  EFM_REQUIRE_PYTHON(py, "mne", "scipy", "numpy");
  test::TempDir dir("golden_kernel");
  for (const GoldenCase& c : load_cases(py, "kernel", dir)) {
    SCOPED_TRACE(c.name);
    std::vector<double> h;
    if (c.params.count("notch")) {
      h = design_notch_filter(c.num("sfreq"), c.list("notch"));
    } else {
      h = design_fir_filter(c.num("sfreq"), c.opt("l"), c.opt("h"));
    }
    ASSERT_EQ(static_cast<int64_t>(h.size()), c.ref.cols());
    const Eigen::Map<const Eigen::RowVectorXd> ours(h.data(), static_cast<Eigen::Index>(h.size()));
    // Same double-precision formulas as MNE/SciPy; only summation order and libm rounding differ.
    EXPECT_LT((ours - c.ref.row(0)).cwiseAbs().maxCoeff(), 1e-12);
  }
}

void check_filter_kind(const std::string& kind, double tolerance) {
  EFM_REQUIRE_PYTHON(py, "mne", "scipy", "numpy");
  test::TempDir dir("golden_" + kind);
  for (const GoldenCase& c : load_cases(py, kind, dir)) {
    SCOPED_TRACE(c.name);
    const std::vector<double> h = kind == "notch" ? design_notch_filter(c.num("sfreq"), c.list("notch"))
                                                  : design_fir_filter(c.num("sfreq"), c.opt("l"), c.opt("h"));
    const Eigen::MatrixXf x = c.input.cast<float>();
    const Eigen::MatrixXd y = filter_zero_phase(h, x).cast<double>();
    ASSERT_EQ(y.rows(), c.ref.rows());
    ASSERT_EQ(y.cols(), c.ref.cols());
    const double err = relative_error(y, c.ref);
    std::cout << "[golden] " << c.name << " max|err|/max|ref| = " << err << "\n";
    EXPECT_LT(err, tolerance);
  }
}

// float32 data and float32 FFT overlap-save vs MNE's float64 FFT overlap-add: the error is float rounding of the
// input (2^-24 relative) plus FFT round-off growing ~ log2(fft size) (13-14 passes), i.e. a few 1e-7 of the signal
// scale; 5e-6 leaves a margin while still catching any design, alignment or padding error (those are >= 1e-3).
TEST(SignalGolden, FilterDataMatchesMne) {
  check_filter_kind("filter", 5e-6);
}

TEST(SignalGolden, NotchFilterMatchesMne) {
  check_filter_kind("notch", 5e-6);
}

// resample_poly: float32 taps and data, direct (not FFT) polyphase sums of <= 101 terms; SciPy works in float64.
TEST(SignalGolden, ResamplePolyMatchesScipy) {
  EFM_REQUIRE_PYTHON(py, "scipy", "numpy");
  test::TempDir dir("golden_resample");
  for (const GoldenCase& c : load_cases(py, "resample", dir)) {
    SCOPED_TRACE(c.name);
    const int64_t up = std::stoll(c.params.at("up")), down = std::stoll(c.params.at("down"));
    const ResampleRatio ratio = resample_ratio(c.num("sfreq"), 200.0);
    EXPECT_EQ(ratio.up, up);
    EXPECT_EQ(ratio.down, down);
    EXPECT_TRUE(ratio.exact);
    const Eigen::MatrixXd y = resample_poly(c.input.cast<float>(), up, down).cast<double>();
    ASSERT_EQ(y.cols(), c.ref.cols());
    const double err = relative_error(y, c.ref);
    std::cout << "[golden] " << c.name << " max|err|/max|ref| = " << err << "\n";
    EXPECT_LT(err, 2e-6);
  }
}

// The epilepsyfm profile vs filter_data -> notch_filter -> resample_poly. The Preprocessor applies band-pass and
// notch as one kernel with one reflection at each end, MNE filters and reflects twice. Point reflection commutes
// with a symmetric kernel (the filtered odd extension is again the odd extension of the filtered signal), so with
// the band-pass kernel at least as long as the notch kernel (0.5 Hz edge: both 6.6 s) the two agree to float
// rounding everywhere, ends included; the interior is checked separately to localise a failure.
TEST(SignalGolden, PreprocessorMatchesMnePipeline) {
  EFM_REQUIRE_PYTHON(py, "mne", "scipy", "numpy");
  test::TempDir dir("golden_pipeline");
  for (const GoldenCase& c : load_cases(py, "pipeline", dir)) {
    SCOPED_TRACE(c.name);
    const double sfreq = c.num("sfreq");
    Preprocessor pp(resolve_profile("epilepsyfm"), sfreq, static_cast<int>(c.input.rows()));
    const Eigen::MatrixXf x = c.input.cast<float>();
    Eigen::MatrixXf a = pp.push(x.leftCols(1000));
    Eigen::MatrixXf b = pp.push(x.rightCols(x.cols() - 1000));
    Eigen::MatrixXf d = pp.finish();
    Eigen::MatrixXd y(x.rows(), a.cols() + b.cols() + d.cols());
    y << a.cast<double>(), b.cast<double>(), d.cast<double>();
    ASSERT_EQ(y.cols(), c.ref.cols());
    // Interior: farther than one combined kernel length (in output samples) from both ends.
    const int64_t margin = static_cast<int64_t>(std::ceil(pp.fir_length() * 200.0 / sfreq)) + 50;
    const double interior = relative_error(y, c.ref, margin, y.cols() - margin);
    const double whole = relative_error(y, c.ref);
    std::cout << "[golden] " << c.name << " interior " << interior << " whole " << whole << "\n";
    EXPECT_LT(interior, 5e-6);
    EXPECT_LT(whole, 5e-6);
  }
}

}  // namespace
}  // namespace efm::signal
