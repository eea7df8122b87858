#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <fstream>

#include "epilepsyfm/core/error.h"
#include "epilepsyfm/signal/channels.h"
#include "support/test_support.h"

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::ThrowsMessage;

namespace efm::signal {
namespace {

struct LabelCase {
  const char* label;
  ChannelKind kind;
  const char* name;
};

// Label styles of the real files in ../shared/data and of the corpora the project targets (TUH, CHB-MIT, EEGMMIDB,
// Nihon Kohden exports, BioSemi, sleep montages, ECoG/SEEG).
const LabelCase kLabels[] = {
    // TUH EEG ("EEG <name>-REF" / "-LE") and its derived channels
    {"EEG FP1-REF", ChannelKind::eeg, "FP1"},
    {"EEG FP1-LE", ChannelKind::eeg, "FP1"},
    {"EEG Fp1-LE", ChannelKind::eeg, "FP1"},
    {"EEG T3-REF", ChannelKind::eeg, "T7"},
    {"EEG T4-LE", ChannelKind::eeg, "T8"},
    {"EEG T5-REF", ChannelKind::eeg, "P7"},
    {"EEG T6-REF", ChannelKind::eeg, "P8"},
    {"EEG A1-REF", ChannelKind::eeg, "A1"},
    {"EEG T1-REF", ChannelKind::eeg, "T1"},
    {"EEG SP2-REF", ChannelKind::eeg, "SP2"},
    {"EEG C3-AR", ChannelKind::eeg, "C3"},
    {"EEG C4-AVG", ChannelKind::eeg, "C4"},
    {"EEG PZ-CAR", ChannelKind::eeg, "PZ"},
    {"EEG EKG1-REF", ChannelKind::non_eeg, "EKG1"},
    {"EEG PHOTIC-REF", ChannelKind::non_eeg, "PHOTIC"},
    {"IBI", ChannelKind::non_eeg, "IBI"},
    {"BURSTS", ChannelKind::non_eeg, "BURSTS"},
    {"SUPPR", ChannelKind::non_eeg, "SUPPR"},
    {"EEG LOC-REF", ChannelKind::non_eeg, "LOC"},
    {"EEG ROC-REF", ChannelKind::non_eeg, "ROC"},
    {"EEG EMG-REF", ChannelKind::non_eeg, "EMG"},
    {"EEG RESP1-REF", ChannelKind::non_eeg, "RESP1"},
    {"EEG 26-REF", ChannelKind::unknown, "26"},
    {"EEG LUC-REF", ChannelKind::unknown, "LUC"},
    {"DC1-DC", ChannelKind::non_eeg, "DC1-DC"},
    // plain 10-20 / 10-10 names, old names, case, spaces
    {"Fp1", ChannelKind::eeg, "FP1"},
    {"fpz", ChannelKind::eeg, "FPZ"},
    {"T3", ChannelKind::eeg, "T7"},
    {"T6", ChannelKind::eeg, "P8"},
    {"  EEG O2-REF  ", ChannelKind::eeg, "O2"},
    {"EEG-FP2", ChannelKind::eeg, "FP2"},
    {"EEG FTT9h-REF", ChannelKind::eeg, "FTT9H"},
    // CHB-MIT / neonatal bipolar derivations
    {"FP1-F7", ChannelKind::bipolar, "FP1-F7"},
    {"F7-T3", ChannelKind::bipolar, "F7-T7"},
    {"T3-T5", ChannelKind::bipolar, "T7-P7"},
    {"C4-T6", ChannelKind::bipolar, "C4-P8"},
    {"FT9-FT10", ChannelKind::bipolar, "FT9-FT10"},
    {"A1-T3", ChannelKind::bipolar, "A1-T7"},
    {"T4-A2", ChannelKind::bipolar, "T8-A2"},
    {"C3-A2", ChannelKind::bipolar, "C3-A2"},
    {"LOC-ROC", ChannelKind::non_eeg, "LOC-ROC"},
    // sleep montage: mastoid references are references
    {"C3-M2", ChannelKind::eeg, "C3"},
    {"EEG C4-M1", ChannelKind::eeg, "C4"},
    {"LA-M1", ChannelKind::unknown, "LA-M1"},
    // Michigan file ("EEG Fp1" ... "EEG ch22")
    {"EEG Fp1", ChannelKind::eeg, "FP1"},
    {"EEG SP1", ChannelKind::eeg, "SP1"},
    {"EEG ch22", ChannelKind::unknown, "CH22"},
    // eegio / Nihon Kohden exports
    {"EEG Fp1-Ref", ChannelKind::eeg, "FP1"},
    {"POL ECG1", ChannelKind::non_eeg, "ECG1"},
    {"POL E", ChannelKind::unknown, "E"},
    {"POL PG1", ChannelKind::eeg, "PG1"},
    {"POL T2", ChannelKind::eeg, "T2"},
    {"POL DC01", ChannelKind::non_eeg, "DC01"},
    {"POL $A1", ChannelKind::unknown, "$A1"},
    {"POL X9", ChannelKind::unknown, "X9"},
    {"SaO2 X9", ChannelKind::non_eeg, "X9"},
    {"ECG ECG1", ChannelKind::non_eeg, "ECG1"},
    // neonatal
    {"ECG EKG-Ref", ChannelKind::non_eeg, "EKG"},
    {"EEG Effort-Ref", ChannelKind::non_eeg, "EFFORT"},
    // EEGMMIDB (dots pad the 4-character names)
    {"Fc5.", ChannelKind::eeg, "FC5"},
    {"C5..", ChannelKind::eeg, "C5"},
    {"Fcz.", ChannelKind::eeg, "FCZ"},
    {"T10.", ChannelKind::eeg, "T10"},
    {"Iz..", ChannelKind::eeg, "IZ"},
    {"Afz.", ChannelKind::eeg, "AFZ"},
    // other non-EEG and annotation channels
    {"EDF Annotations", ChannelKind::annotation, "EDF ANNOTATIONS"},
    {"BDF Annotations", ChannelKind::annotation, "BDF ANNOTATIONS"},
    {"ECG", ChannelKind::non_eeg, "ECG"},
    {"EKGL", ChannelKind::non_eeg, "EKGL"},
    {"EOG", ChannelKind::non_eeg, "EOG"},
    {"Resp oro-nasal", ChannelKind::non_eeg, "ORO-NASAL"},
    {"SpO2", ChannelKind::non_eeg, "SPO2"},
    {"Pulse", ChannelKind::non_eeg, "PULSE"},
    {"DC03", ChannelKind::non_eeg, "DC03"},
    {"Status", ChannelKind::non_eeg, "STATUS"},
    {"Trigger", ChannelKind::non_eeg, "TRIGGER"},
    {"STI 014", ChannelKind::non_eeg, "STI014"},
    {"acc1", ChannelKind::non_eeg, "ACC1"},
    {"Ergo-Left", ChannelKind::non_eeg, "ERGO-LEFT"},
    // intracranial and other unknown labels
    {"ECoG G1", ChannelKind::unknown, "G1"},
    {"ECoG c001", ChannelKind::unknown, "C001"},
    {"SEEG LA1-REF", ChannelKind::unknown, "LA1"},
    {"LA1", ChannelKind::unknown, "LA1"},
    {"L'1", ChannelKind::unknown, "L'1"},
    {"EEG", ChannelKind::unknown, "EEG"},
    {"sine 1 Hz", ChannelKind::unknown, "SINE1HZ"},
    {"BTM1", ChannelKind::unknown, "BTM1"},
};

TEST(Channels, CanonicalisationTable) {
  int checked = 0;
  for (const LabelCase& c : kLabels) {
    SCOPED_TRACE(c.label);
    const CanonicalChannel got = canonicalize_channel(c.label);
    EXPECT_EQ(kind_name(got.kind), kind_name(c.kind));
    EXPECT_EQ(got.name, c.name);
    ++checked;
  }
  EXPECT_GE(checked, 40);
}

TEST(Channels, BipolarParts) {
  const CanonicalChannel c = canonicalize_channel("F7-T3");
  EXPECT_EQ(c.anode, "F7");
  EXPECT_EQ(c.cathode, "T7");
  EXPECT_TRUE(canonicalize_channel("EEG FP1-REF").anode.empty());
}

TEST(Channels, CanonicalNamesAreFixedPoints) {
  for (const std::string& name : electrode_vocabulary()) {
    if (name == "UNK" || name == "T3" || name == "T4" || name == "T5" || name == "T6") continue;
    SCOPED_TRACE(name);
    const CanonicalChannel c = canonicalize_channel(name);
    EXPECT_EQ(c.name, name);
    EXPECT_EQ(c.kind, name.find('-') == std::string::npos ? ChannelKind::eeg : ChannelKind::bipolar);
  }
}

TEST(Channels, IntracranialOptionMakesEveryContactUnknown) {
  CanonicalizeOptions o;
  o.intracranial = true;
  EXPECT_EQ(canonicalize_channel("C1", o).kind, ChannelKind::unknown);
  EXPECT_EQ(canonicalize_channel("C1", o).name, "C1");
  EXPECT_EQ(canonicalize_channel("EEG FP1-REF", o).name, "FP1");
  EXPECT_EQ(canonicalize_channel("EEG FP1-REF", o).kind, ChannelKind::unknown);
  EXPECT_EQ(canonicalize_channel("EKGL", o).kind, ChannelKind::non_eeg);
  EXPECT_EQ(canonicalize_channel("EDF Annotations", o).kind, ChannelKind::annotation);
  EXPECT_EQ(canonicalize_channel("C1").kind, ChannelKind::eeg);  // the default reads it as 10-10 C1
}

TEST(Channels, NumberedContactSeriesAreFlagged) {
  std::vector<std::string> ecog;
  for (int i = 1; i <= 64; ++i) ecog.push_back("C" + std::to_string(i));
  ecog.push_back("EKGL");
  EXPECT_THAT(numbered_contact_labels(ecog), ElementsAre("C1", "C2", "C3", "C4", "C5", "C6"));

  const std::vector<std::string> scalp{"Fc5.", "Fc3.", "C1..", "Cz..", "C2..", "T9..", "T10.", "F9",  "F10", "P9",
                                       "P10",  "PO9",  "PO10", "AF9",  "AF10", "FT9",  "FT10", "TP9", "TP10"};
  EXPECT_TRUE(numbered_contact_labels(scalp).empty());
  const std::vector<std::string> michigan{"EEG Fp1", "EEG C3", "EEG ch22", "EEG ch23"};
  EXPECT_TRUE(numbered_contact_labels(michigan).empty());
  const std::vector<std::string> biosemi{"A1", "A2", "A3", "A4", "B1", "B2", "F1", "F2"};
  EXPECT_THAT(numbered_contact_labels(biosemi), ElementsAre("A1", "A2"));
}

TEST(Channels, VocabularyIndicesArePinned) {
  // These indices are rows of trained embedding tables: they must never change (append-only vocabulary).
  const auto& v = electrode_vocabulary();
  ASSERT_EQ(v.size(), 152u);
  EXPECT_EQ(v[0], "UNK");
  EXPECT_EQ(electrode_index("UNK"), 0);
  EXPECT_EQ(electrode_index("FP1"), 1);
  EXPECT_EQ(electrode_index("FP2"), 3);
  EXPECT_EQ(electrode_index("FZ"), 20);
  EXPECT_EQ(electrode_index("T7"), 38);
  EXPECT_EQ(electrode_index("CZ"), 42);
  EXPECT_EQ(electrode_index("O2"), 83);
  EXPECT_EQ(electrode_index("A1"), 95);
  EXPECT_EQ(electrode_index("T1"), 113);
  EXPECT_EQ(electrode_index("TPP10H"), 120);
  EXPECT_EQ(electrode_index("FP1-F7"), 121);
  EXPECT_EQ(electrode_index("P4-O2"), 136);
  EXPECT_EQ(electrode_index("NZ"), 137);
  EXPECT_EQ(electrode_index("SP1"), 140);
  EXPECT_EQ(electrode_index("PG2"), 143);
  EXPECT_EQ(electrode_index("FZ-CZ"), 144);
  EXPECT_EQ(electrode_index("T8-A2"), 151);
  // LaBraM's standard_1020 rows (index = get_input_chans index): its old-name rows are kept but never used.
  EXPECT_EQ(v[89], "T3");
  EXPECT_EQ(v[92], "T6");
  EXPECT_EQ(electrode_index("T3"), electrode_index("T7"));
  EXPECT_EQ(electrode_index("T5"), electrode_index("P7"));
  EXPECT_EQ(electrode_index("F7-T3"), electrode_index("F7-T7"));
  EXPECT_EQ(electrode_index("fp1"), 1);
  EXPECT_EQ(electrode_index("XYZ"), 0);
  EXPECT_EQ(electrode_index("CH22"), 0);
  EXPECT_TRUE(is_vocabulary_electrode("SP1"));
  EXPECT_FALSE(is_vocabulary_electrode("T3"));
  EXPECT_FALSE(is_vocabulary_electrode("FP1-F7"));
}

TEST(Channels, DefaultRegionTable) {
  const RegionTable t = RegionTable::default_table();
  ASSERT_EQ(t.size(), 8);
  EXPECT_EQ(t.names()[0], "left_frontal");
  EXPECT_EQ(t.names()[7], "occipital");
  EXPECT_EQ(t.region_of("FP1"), 0);
  EXPECT_EQ(t.region_of("F8"), 1);
  EXPECT_EQ(t.region_of("T7"), 2);
  EXPECT_EQ(t.region_of("T3"), 2);  // alias
  EXPECT_EQ(t.region_of("A1"), 2);
  EXPECT_EQ(t.region_of("TP10"), 3);
  EXPECT_EQ(t.region_of("CZ"), 4);
  EXPECT_EQ(t.region_of("FC6"), 4);
  EXPECT_EQ(t.region_of("CP1"), 4);
  EXPECT_EQ(t.region_of("PO7"), 5);
  EXPECT_EQ(t.region_of("P4"), 6);
  EXPECT_EQ(t.region_of("PZ"), 7);
  EXPECT_EQ(t.region_of("IZ"), 7);
  EXPECT_EQ(t.region_of("T1"), -1);  // not listed in the default region table
  EXPECT_EQ(t.region_of("M1"), -1);
  EXPECT_EQ(t.region_of("FP1-F7"), 0);  // anode
  EXPECT_EQ(t.region_of("CZ-C4"), 4);   // anode
  EXPECT_EQ(t.region_of("T1-T7"), 2);   // anode without region: cathode
  EXPECT_EQ(t.region_of("UNKNOWN"), -1);
  // Every electrode of the default region table is in exactly one region: 7+7+8+8+24+5+5+6 = 70.
  int listed = 0;
  for (const auto& name : electrode_vocabulary()) {
    if (is_vocabulary_electrode(name) && t.region_of(name) >= 0) ++listed;
  }
  EXPECT_EQ(listed, 70);
}

TEST(Channels, CustomRegionTableRejectsDuplicates) {
  const RegionTable t({"left", "right"}, {{"F3", "T3"}, {"F4"}});
  EXPECT_EQ(t.region_of("T7"), 0);
  EXPECT_THAT(
      [] {
        RegionTable({"a", "b"}, {{"F3"}, {"f3"}});
      },
      ThrowsMessage<ArgumentError>(HasSubstr("electrode 'F3' is listed in region 'a' and in region 'b'")));
  EXPECT_THAT(
      [] {
        RegionTable({"a"}, {{"F3"}, {"F4"}});
      },
      ThrowsMessage<ArgumentError>(HasSubstr("1 region names but 2 member lists")));
}

TEST(Channels, TcpMontages) {
  const auto& m16 = tcp_montage(16);
  const auto& m18 = tcp_montage(18);
  const auto& m22 = tcp_montage(22);
  ASSERT_EQ(m16.size(), 16u);
  ASSERT_EQ(m18.size(), 18u);
  ASSERT_EQ(m22.size(), 22u);
  EXPECT_EQ(m16[0], std::make_pair(std::string("FP1"), std::string("F7")));
  EXPECT_EQ(m16[15], std::make_pair(std::string("P4"), std::string("O2")));
  EXPECT_EQ(m18[16], std::make_pair(std::string("FZ"), std::string("CZ")));
  EXPECT_EQ(m18[17], std::make_pair(std::string("CZ"), std::string("PZ")));
  // TUH 01_tcp_ar order: row 8 is A1-T3, row 13 T4-A2, row 14 FP1-F3.
  EXPECT_EQ(m22[8], std::make_pair(std::string("A1"), std::string("T7")));
  EXPECT_EQ(m22[13], std::make_pair(std::string("T8"), std::string("A2")));
  EXPECT_EQ(m22[14], std::make_pair(std::string("FP1"), std::string("F3")));
  for (int n : {16, 18, 22}) {
    for (const auto& [a, c] : tcp_montage(n)) {
      EXPECT_GT(electrode_index(a + "-" + c), 0) << a << "-" << c;  // every derivation is a vocabulary row
    }
  }
  EXPECT_THAT([] { tcp_montage(20); },
              ThrowsMessage<ArgumentError>(HasSubstr("n_derivations must be 16, 18 or 22, got 20")));
}

// ---- the labels of the real files ------------------------------------------------------------------------------

std::vector<std::string> edf_labels(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::string header(256, '\0');
  in.read(header.data(), 256);
  const int ns = std::stoi(header.substr(252, 4));
  std::string labels(static_cast<size_t>(16 * ns), '\0');
  in.read(labels.data(), static_cast<std::streamsize>(labels.size()));
  std::vector<std::string> out;
  for (int i = 0; i < ns; ++i) {
    std::string l = labels.substr(static_cast<size_t>(16 * i), 16);
    while (!l.empty() && l.back() == ' ') l.pop_back();
    out.push_back(l);
  }
  return out;
}

struct KindCounts {
  int eeg = 0, bipolar = 0, non_eeg = 0, annotation = 0, unknown = 0;
  bool operator==(const KindCounts& o) const {
    return eeg == o.eeg && bipolar == o.bipolar && non_eeg == o.non_eeg && annotation == o.annotation &&
           unknown == o.unknown;
  }
};
std::ostream& operator<<(std::ostream& os, const KindCounts& k) {
  return os << "{eeg " << k.eeg << ", bipolar " << k.bipolar << ", non_eeg " << k.non_eeg << ", annotation "
            << k.annotation << ", unknown " << k.unknown << "}";
}

KindCounts count_kinds(const std::vector<std::string>& labels, const CanonicalizeOptions& o = {}) {
  KindCounts k;
  for (const auto& c : canonicalize_channels(labels, o)) {
    switch (c.kind) {
      case ChannelKind::eeg: ++k.eeg; break;
      case ChannelKind::bipolar: ++k.bipolar; break;
      case ChannelKind::non_eeg: ++k.non_eeg; break;
      case ChannelKind::annotation: ++k.annotation; break;
      case ChannelKind::unknown: ++k.unknown; break;
    }
  }
  return k;
}

TEST(Channels, LabelsOfTheRealFiles) {
  EFM_REQUIRE_REAL_DATA();
  struct Expect {
    const char* file;
    KindCounts counts;
    int numbered;  // labels numbered_contact_labels() flags
  };
  const Expect files[] = {
      {"michigan_malow_scalp_seizure/malow_umich_scalp_seizure_31ch_100hz.edf", {21, 0, 0, 1, 10}, 0},
      {"eegio_clinical_scalp_seizure/scalp_test.edf", {31, 0, 6, 1, 5}, 0},
      {"edf_conformance_mne_testing/chtypes_edf.edf", {31, 0, 8, 1, 3}, 0},
      {"edf_conformance_mne_testing/MB0400FU.EDF", {21, 0, 0, 1, 4}, 0},
      {"eegmmidb_S001/S001R03.edf", {64, 0, 0, 1, 0}, 0},
      {"eegmmidb_S001/S001R04.edf", {64, 0, 0, 1, 0}, 0},
      {"edf_conformance_mne_testing/test_edf_overlapping_annotations.edf", {64, 0, 0, 1, 0}, 0},
      {"neonatal_stevenson_edf/demo.edf", {0, 8, 0, 0, 0}, 0},
      {"neonatal_stevenson_edf/eeg_burst_eg.edf", {19, 0, 2, 0, 0}, 0},
      {"mne_misc_ieeg_epilepsy/sample_ecog.edf", {6, 0, 2, 1, 70}, 6},
      {"mne_misc_ieeg_epilepsy/sample_seeg.edf", {0, 0, 10, 1, 88}, 0},
      {"ds003029_pt01_ecog_onset_ezfragility/pt01_sz1_onset_m1to2s.edf", {0, 0, 0, 1, 84}, 0},
      {"upenn_mayo_kaggle_seizure_detection/Dog_1/Dog_1_ictal_segment_1.edf", {0, 0, 0, 1, 16}, 0},
      {"edf_conformance_mne_testing/multiple_annotation_chans.bdf", {12, 0, 7, 15, 0}, 0},
      {"edf_conformance_mne_testing/subsecond_starttime.edf", {3, 0, 0, 1, 0}, 0},
      {"edf_conformance_mne_testing/test_bdf_stim_channel.bdf", {3, 0, 1, 0, 0}, 0},
      {"edf_conformance_mne_testing/test_reduced.edf", {20, 0, 3, 1, 116}, 20},
      {"edf_conformance_mne_testing/test_utf8_annotations.edf", {0, 0, 2, 1, 9}, 0},
      {"edf_conformance_mne_testing/SC4001EC-Hypnogram.edf", {0, 0, 0, 1, 0}, 0},
      {"bonn_andrzejak2001/edf/S/S001.edf", {0, 0, 0, 0, 1}, 0},
  };
  for (const Expect& e : files) {
    SCOPED_TRACE(e.file);
    const auto path = test::real_file(e.file);
    ASSERT_TRUE(std::filesystem::exists(path)) << path;
    const auto labels = edf_labels(path);
    EXPECT_EQ(count_kinds(labels), e.counts);
    EXPECT_EQ(static_cast<int>(numbered_contact_labels(labels).size()), e.numbered);
  }
  // Spot checks: the Michigan file's old names, the eegio 10-10 names, the neonatal bipolar pairs.
  const auto michigan = canonicalize_channels(edf_labels(test::real_file(files[0].file)));
  EXPECT_EQ(michigan[14].name, "T7");  // "EEG T3"
  EXPECT_EQ(michigan[17].name, "P8");  // "EEG T6"
  const auto demo = canonicalize_channels(edf_labels(test::real_file("neonatal_stevenson_edf/demo.edf")));
  EXPECT_EQ(demo[2].name, "F7-T7");  // "F7-T3"
  // With the intracranial option the ECoG grid's C1..C6 are contacts, not 10-10 electrodes.
  CanonicalizeOptions ieeg;
  ieeg.intracranial = true;
  EXPECT_EQ(count_kinds(edf_labels(test::real_file("mne_misc_ieeg_epilepsy/sample_ecog.edf")), ieeg).eeg, 0);
}

}  // namespace
}  // namespace efm::signal
