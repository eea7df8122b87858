#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "epilepsyfm/core/error.h"
#include "epilepsyfm/signal/montage.h"

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::ThrowsMessage;

namespace efm::signal {
namespace {

// TUH "01_tcp_ar"-style referential labels (21 electrodes incl. A1/A2) plus non-EEG rows.
std::vector<std::string> tuh_labels() {
  return {"EEG FP1-REF", "EEG FP2-REF", "EEG F3-REF", "EEG F4-REF",   "EEG C3-REF",     "EEG C4-REF",
          "EEG P3-REF",  "EEG P4-REF",  "EEG O1-REF", "EEG O2-REF",   "EEG F7-REF",     "EEG F8-REF",
          "EEG T3-REF",  "EEG T4-REF",  "EEG T5-REF", "EEG T6-REF",   "EEG A1-REF",     "EEG A2-REF",
          "EEG FZ-REF",  "EEG CZ-REF",  "EEG PZ-REF", "EEG EKG1-REF", "EDF Annotations"};
}

int column_of(const std::vector<std::string>& labels, const std::string& label) {
  return static_cast<int>(std::find(labels.begin(), labels.end(), label) - labels.begin());
}

TEST(Montage, ReferentialPicksOrdersAndReportsMissing) {
  const std::vector<std::string> in{"EEG FP1-REF", "EEG FP2-REF", "ECG EKG-REF", "EEG T3-REF", "EDF Annotations"};
  const MontagePlan p = plan_montage(MontageSpec::referential({"FP2", "T7", "CZ", "Fp1"}), in);
  EXPECT_THAT(p.output_names, ElementsAre("FP2", "T7", "FP1"));
  EXPECT_THAT(p.missing, ElementsAre("CZ"));
  ASSERT_EQ(p.n_outputs(), 3);
  ASSERT_EQ(p.n_inputs(), 5);
  EXPECT_THAT(p.used_inputs(), ElementsAre(0, 1, 3));
  Eigen::MatrixXf x(5, 2);
  x << 1, 2, 3, 4, 5, 6, 7, 8, 9, 10;
  const Eigen::MatrixXf y = p.apply(x);
  EXPECT_EQ(y(0, 0), 3);  // FP2
  EXPECT_EQ(y(1, 1), 8);  // T7 (T3)
  EXPECT_EQ(y(2, 0), 1);  // FP1
}

TEST(Montage, ReferentialDefaultIsEveryEegElectrodeInFileOrder) {
  const MontagePlan p = plan_montage(MontageSpec::referential(), {"ECG", "Fc5.", "C3..", "EEG ch22", "Cz.."});
  EXPECT_THAT(p.output_names, ElementsAre("FC5", "C3", "CZ"));
  EXPECT_TRUE(p.missing.empty());
}

TEST(Montage, CommonAverageSubtractsTheMeanOfTheEegElectrodes) {
  const std::vector<std::string> in{"EEG FP1-REF", "EEG FP2-REF", "ECG EKG-REF", "EEG CZ-REF", "EEG O1-REF"};
  const MontagePlan p = plan_montage(MontageSpec::average({"CZ", "FP1"}), in);
  EXPECT_THAT(p.output_names, ElementsAre("CZ", "FP1"));
  Eigen::MatrixXf x(5, 1);
  x << 1, 2, 1000, 4, 9;  // the ECG value must not enter the average
  const Eigen::MatrixXf y = p.apply(x);
  const float mean = (1 + 2 + 4 + 9) / 4.0f;
  EXPECT_FLOAT_EQ(y(0, 0), 4 - mean);
  EXPECT_FLOAT_EQ(y(1, 0), 1 - mean);
  EXPECT_FLOAT_EQ(p.weights(0, 2), 0.0f);

  MontageSpec s = MontageSpec::average({"CZ"});
  s.reference_channels = {"FP1", "FP2", "A1"};
  const MontagePlan q = plan_montage(s, in);
  EXPECT_THAT(q.missing, ElementsAre("A1 (reference)"));
  EXPECT_FLOAT_EQ(q.apply(x)(0, 0), 4 - 1.5f);
  EXPECT_THAT(
      [&] {
        plan_montage(MontageSpec::average(), {"ECG", "EDF Annotations"});
      },
      ThrowsMessage<DataError>(HasSubstr("none of the reference electrodes is present")));
}

TEST(Montage, TcpFromReferentialTuhChannels) {
  const auto in = tuh_labels();
  for (int n : {16, 18, 22}) {
    const MontagePlan p = plan_montage(MontageSpec::tcp(n), in);
    EXPECT_TRUE(p.missing.empty()) << n;
    ASSERT_EQ(p.n_outputs(), n);
    for (int r = 0; r < n; ++r) {
      const auto& [a, c] = tcp_montage(n)[static_cast<size_t>(r)];
      EXPECT_EQ(p.output_names[static_cast<size_t>(r)], a + "-" + c);
      EXPECT_FLOAT_EQ(p.weights.row(r).sum(), 0.0f);
      EXPECT_FLOAT_EQ(p.weights.row(r).cwiseAbs().sum(), 2.0f);
    }
  }
  const MontagePlan p22 = plan_montage(MontageSpec::tcp(22), in);
  // Row 8 is A1-T3 in TUH's montage file: +A1 -T3.
  EXPECT_EQ(p22.weights(8, column_of(in, "EEG A1-REF")), 1.0f);
  EXPECT_EQ(p22.weights(8, column_of(in, "EEG T3-REF")), -1.0f);
  // Without FZ the 18-channel montage lacks FZ-CZ.
  auto no_fz = in;
  no_fz.erase(no_fz.begin() + column_of(in, "EEG FZ-REF"));
  const MontagePlan p18 = plan_montage(MontageSpec::tcp(18), no_fz);
  EXPECT_THAT(p18.missing, ElementsAre("FZ-CZ (FZ absent)"));
  EXPECT_EQ(p18.n_outputs(), 17);
}

TEST(Montage, RecordedBipolarChannelsPassThrough) {
  // CHB-MIT chb01 channel list: bipolar as recorded, T8-P8 twice.
  const std::vector<std::string> chb{"FP1-F7", "F7-T7", "T7-P7", "P7-O1",  "FP1-F3",   "F3-C3",   "C3-P3", "P3-O1",
                                     "FP2-F4", "F4-C4", "C4-P4", "P4-O2",  "FP2-F8",   "F8-T8",   "T8-P8", "P8-O2",
                                     "FZ-CZ",  "CZ-PZ", "P7-T7", "T7-FT9", "FT9-FT10", "FT10-T8", "T8-P8"};
  const MontagePlan p = plan_montage(MontageSpec::tcp(16), chb);
  EXPECT_TRUE(p.missing.empty());
  EXPECT_THAT(p.duplicates, ElementsAre("T8-P8"));
  for (int r = 0; r < 16; ++r) {
    const int col = column_of(chb, p.output_names[static_cast<size_t>(r)]);
    EXPECT_EQ(p.weights(r, col), 1.0f) << p.output_names[static_cast<size_t>(r)];
    EXPECT_FLOAT_EQ(p.weights.row(r).cwiseAbs().sum(), 1.0f);
  }
  // tcp22 needs A1/A2, which CHB-MIT does not record.
  const MontagePlan p22 = plan_montage(MontageSpec::tcp(22), chb);
  EXPECT_EQ(p22.missing.size(), 6u);
  EXPECT_EQ(p22.missing[0], "A1-T7 (A1, T7 absent)");
  // A reversed recorded pair gives weight -1; the neonatal file's old names match 10-10 derivations.
  const MontagePlan rev = plan_montage(MontageSpec::bipolar({"FP1-F7", "F7-T3"}), {"F7-FP1", "F7-T3"});
  EXPECT_EQ(rev.weights(0, 0), -1.0f);
  EXPECT_EQ(rev.weights(1, 1), 1.0f);
  EXPECT_THAT(rev.output_names, ElementsAre("FP1-F7", "F7-T7"));
}

TEST(Montage, ErrorsNameTheProblem) {
  EXPECT_THAT([] { plan_montage(MontageSpec::bipolar({"FP1"}), {"FP1"}); },
              ThrowsMessage<ArgumentError>(HasSubstr("'FP1' is not a derivation 'X-Y'")));
  EXPECT_THAT([] { parse_enum<MontageKind>("laplacian", "montage kind"); },
              ThrowsMessage<ConfigError>(HasSubstr("allowed values are 'referential', 'average', 'bipolar', "
                                                   "'tcp16', 'tcp18', 'tcp22', but got 'laplacian'")));
  EXPECT_EQ(tcp_derivations(MontageSpec::tcp(18).kind), 18);
  EXPECT_THAT([] { plan_montage(MontageSpec::referential({"ECG"}), {"FP1"}); },
              ThrowsMessage<ArgumentError>(HasSubstr("'ECG' is not an electrode of the vocabulary")));
  const MontagePlan p = plan_montage(MontageSpec::referential({"FP1"}), {"FP1", "FP2"});
  EXPECT_THAT([&] { p.apply(Eigen::MatrixXf::Zero(3, 4)); },
              ThrowsMessage<ArgumentError>(HasSubstr("chunk has 3 rows but the plan expects 2 inputs")));
}

}  // namespace
}  // namespace efm::signal
