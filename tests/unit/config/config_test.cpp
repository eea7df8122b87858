#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <fstream>

#include "epilepsyfm/config/loader.h"
#include "epilepsyfm/config/run.h"
#include "epilepsyfm/config/yaml_io.h"
#include "support/test_support.h"

using ::testing::HasSubstr;
using ::testing::ThrowsMessage;

namespace efm::config {

// A miniature experiment exercising every supported field kind.
struct OptimT {
  double lr = 5e-4;
  std::vector<double> betas{0.9, 0.999};
  int64_t epochs = 10;
  template <class V>
  void visit(V& v) {
    v("lr", lr, positive());
    v("betas", betas, open_fraction());
    v("epochs", epochs, at_least(1));
  }
};
struct SourceT {
  std::string format = "csv";
  std::string path;
  template <class V>
  void visit(V& v) {
    v("format", format, Choices{"csv", "edf"});
    v("path", path);
  }
  void validate(const std::string& p) const {
    if (format == "csv" && path.empty()) throw ConfigError(p + ".path: required when format is 'csv'");
  }
};
struct ExperimentT {
  RunConfig run;
  OptimT optim;
  std::string pooling = "mean";
  bool verbose = false;
  std::optional<double> clip;
  std::vector<std::string> channels{"FP1", "FP2"};
  std::vector<SourceT> labels;
  std::map<std::string, int64_t> class_ids{{"seizure", 1}, {"background", 0}};
  std::string note = "yes";  // a string that looks like a bool must round-trip as a string
  template <class V>
  void visit(V& v) {
    v("run", run);
    v("optim", optim);
    v("pooling", pooling, Choices{"cls", "mean"});
    v("verbose", verbose);
    v("clip", clip, positive());
    v("channels", channels);
    v("labels", labels);
    v("class_ids", class_ids, non_negative());
    v("note", note);
  }
};

}  // namespace efm::config

EFM_INSTANTIATE_CONFIG(efm::config::ExperimentT)

namespace efm::config {
namespace {

ExperimentT from_text(const std::string& yaml) {
  return parse_yaml<ExperimentT>(yaml, "test.yaml");
}

TEST(Config, DefaultsWhenEmpty) {
  const ExperimentT e = from_text("");
  EXPECT_DOUBLE_EQ(e.optim.lr, 5e-4);
  EXPECT_EQ(e.run.device, "auto");
  EXPECT_FALSE(e.clip.has_value());
}

TEST(Config, UnknownKeyNamesPathAndKnownKeys) {
  EXPECT_THAT(
      [] { from_text("optim:\n  lrr: 0.1\n"); },
      ThrowsMessage<ConfigError>(HasSubstr("unknown key 'optim.lrr'; known keys in 'optim': lr, betas, epochs")));
  EXPECT_THAT([] { from_text("optimm: {}\n"); },
              ThrowsMessage<ConfigError>(HasSubstr("unknown key 'optimm'; known keys: run, optim, pooling")));
  EXPECT_THAT([] { from_text("labels:\n  - {format: edf, pth: x}\n"); },
              ThrowsMessage<ConfigError>(HasSubstr("unknown key 'labels[0].pth'")));
}

TEST(Config, WrongTypeNamesPathAndExpectation) {
  EXPECT_THAT([] { from_text("optim: {lr: abc}\n"); },
              ThrowsMessage<ConfigError>(HasSubstr("optim.lr: expected a number, got 'abc'")));
  EXPECT_THAT([] { from_text("optim: {epochs: 1.5}\n"); },
              ThrowsMessage<ConfigError>(HasSubstr("optim.epochs: expected an integer, got '1.5'")));
  EXPECT_THAT([] { from_text("verbose: maybe\n"); },
              ThrowsMessage<ConfigError>(HasSubstr("verbose: expected true or false, got 'maybe'")));
  EXPECT_THAT([] { from_text("channels: FP1\n"); },
              ThrowsMessage<ConfigError>(HasSubstr("channels: expected a list, got 'FP1'")));
  EXPECT_THAT([] { from_text("optim: 3\n"); },
              ThrowsMessage<ConfigError>(HasSubstr("optim: expected a mapping of keys, got '3'")));
}

TEST(Config, OutOfRangeNamesPathBoundAndValue) {
  EXPECT_THAT([] { from_text("optim: {lr: -0.1}\n"); },
              ThrowsMessage<ConfigError>(HasSubstr("optim.lr: must be > 0.0, got -0.1")));
  EXPECT_THAT([] { from_text("optim: {betas: [0.9, 1.0]}\n"); },
              ThrowsMessage<ConfigError>(HasSubstr("optim.betas[1]: must be in (0.0, 1.0), got 1.0")));
  EXPECT_THAT([] { from_text("optim: {epochs: 0}\n"); },
              ThrowsMessage<ConfigError>(HasSubstr("optim.epochs: must be >= 1.0, got 0.0")));
  EXPECT_THAT([] { from_text("pooling: max\n"); },
              ThrowsMessage<ConfigError>(HasSubstr("pooling: allowed values are 'cls', 'mean', but got 'max'")));
  EXPECT_THAT([] { from_text("run: {device: gpu}\n"); },
              ThrowsMessage<ConfigError>(HasSubstr("run.device: allowed values are 'auto', 'cpu', 'cuda', 'cuda:N'")));
  EXPECT_THAT([] { from_text("labels: [{format: csv}]\n"); },
              ThrowsMessage<ConfigError>(HasSubstr("labels[0].path: required when format is 'csv'")));
}

TEST(Config, FilesMergeAndSetOverrides) {
  test::TempDir dir;
  std::ofstream(dir / "a.yaml") << "config_version: 1\noptim: {lr: 0.01, epochs: 5}\npooling: cls\n";
  std::ofstream(dir / "b.yaml") << "optim: {lr: 0.02}\n";
  ConfigSources src{{(dir / "a.yaml").string(), (dir / "b.yaml").string()},
                    {"optim.epochs=7", "channels=[C3, C4, CZ]", "clip=3.0", "run.out=runs/x", "class_ids.artifact=2"}};
  const ExperimentT e = load<ExperimentT>(src);
  EXPECT_DOUBLE_EQ(e.optim.lr, 0.02);  // b.yaml wins over a.yaml
  EXPECT_EQ(e.optim.epochs, 7);        // --set wins over files
  EXPECT_EQ(e.pooling, "cls");         // a.yaml key kept where b.yaml is silent
  EXPECT_EQ(e.channels, (std::vector<std::string>{"C3", "C4", "CZ"}));
  ASSERT_TRUE(e.clip.has_value());
  EXPECT_DOUBLE_EQ(*e.clip, 3.0);
  EXPECT_EQ(e.run.out, "runs/x");
  EXPECT_EQ(e.class_ids.at("artifact"), 2);
  EXPECT_EQ(e.optim.betas, (std::vector<double>{0.9, 0.999}));
}

TEST(Config, SetErrorsNameTheKeyPath) {
  EXPECT_THAT(
      [] {
        load<ExperimentT>({{}, {"optim.lrr=1"}});
      },
      ThrowsMessage<ConfigError>(HasSubstr("unknown key 'optim.lrr'")));
  EXPECT_THAT(
      [] {
        load<ExperimentT>({{}, {"optim.lr"}});
      },
      ThrowsMessage<ConfigError>(HasSubstr("--set 'optim.lr': expected key.path=value")));
  EXPECT_THAT(
      [] {
        load<ExperimentT>({{}, {"pooling.x=1"}});
      },
      ThrowsMessage<ConfigError>(HasSubstr("'pooling' is not a section")));
}

TEST(Config, VersionAndSyntaxErrors) {
  EXPECT_THAT([] { from_text("config_version: 2\n"); },
              ThrowsMessage<ConfigError>(HasSubstr("test.yaml: config_version 2 is not supported")));
  EXPECT_THAT([] { from_text("optim: [1,\n"); },
              ThrowsMessage<ConfigError>(HasSubstr("test.yaml: YAML syntax error at line")));
  EXPECT_THAT(
      [] {
        load<ExperimentT>({{"/nonexistent/x.yaml"}, {}});
      },
      ThrowsMessage<ConfigError>(HasSubstr("cannot read config file '/nonexistent/x.yaml'")));
}

TEST(Config, DumpParseRoundTripIsIdentity) {
  ExperimentT e;
  e.optim.lr = 0.1;  // not exactly representable: must survive via shortest round-trip
  e.optim.betas = {0.9, 0.98765432109876};
  e.clip = 1e-7;
  e.run.seed = 12345;
  e.note = "1.5";  // number-like string
  e.channels = {"yes", "", "T3"};
  e.labels = {SourceT{"csv", "labels/a b.csv"}, SourceT{"edf", ""}};
  const std::string yaml = to_yaml(e);
  EXPECT_EQ(yaml.rfind("config_version: 1\n", 0), 0u) << yaml;
  const ExperimentT back = parse_yaml<ExperimentT>(yaml);
  EXPECT_EQ(to_yaml(back), yaml);
  EXPECT_TRUE(equal(back, e));
  EXPECT_EQ(back.optim.lr, 0.1);  // exact, not approximately
  EXPECT_EQ(back.optim.betas[1], 0.98765432109876);
  EXPECT_EQ(*back.clip, 1e-7);
  EXPECT_EQ(back.note, "1.5");
  EXPECT_EQ(back.channels, e.channels);
  EXPECT_EQ(back.labels[0].path, "labels/a b.csv");
  EXPECT_FALSE(back.verbose);
}

}  // namespace
}  // namespace efm::config
