// eval/pipeline_report.h on run directories written by hand in the formats the verbs write.
#include "epilepsyfm/eval/report/pipeline_report.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "epilepsyfm/core/error.h"
#include "epilepsyfm/core/fs.h"
#include "support/test_support.h"

using ::testing::HasSubstr;
using ::testing::Not;

namespace efm::eval {
namespace {
namespace fs = std::filesystem;

void write(const fs::path& p, const std::string& text) {
  fs::create_directories(p.parent_path());
  atomic_write_file(p, text);
}

TEST(PipelineReport, ListsEachStageAndTaskWithItsMetrics) {
  test::TempDir dir;
  write(dir / "tok" / "tokenizer.pt", "x");
  write(dir / "tok" / "metrics.csv",
        "step,split,metric,value\n10,train,loss,1.99\n10,train,codebook_usage,1\n150,train,loss,1.503\n"
        "150,train,codebook_usage,0.7852\n");
  write(dir / "pt" / "pretrained.pt", "x");
  write(dir / "pt" / "metrics.csv",
        "step,split,metric,value\n10,train,accuracy,0.005555\n150,train,accuracy,0.06555\n");
  write(
      dir / "sd" / "metrics.json",
      "{\"head\": \"seizure_detection\", \"selected_step\": 74, \"checkpoint\": \"c\", \"store\": \"s\", "
      "\"val\": {\"auroc\": 0.9}, \"test\": {\"auroc\": 0.875, \"balanced_accuracy\": 0.5, \"sensitivity\": null}}\n");
  write(dir / "sd" / "config.yaml", "init:\n  checkpoint: runs/pt\nfinetune:\n  mode: linear_probe\n");
  write(dir / "sd" / "report.html", "<html></html>");
  write(dir / "asm" / "summary.json",
        "{\"head\": \"asm_efficacy\", \"seeds\": 3, \"test\": {\"auroc\": {\"mean\": 0.75, \"std\": 0.125, \"n\": "
        "3}}}\n");

  EXPECT_EQ(detect_run_kind(dir / "tok"), RunKind::tokenizer);
  EXPECT_EQ(detect_run_kind(dir / "pt"), RunKind::pretrain);
  EXPECT_EQ(detect_run_kind(dir / "sd"), RunKind::finetune);
  EXPECT_EQ(detect_run_kind(dir / "asm"), RunKind::finetune_seeds);

  const fs::path out = dir / "report.html";
  EXPECT_EQ(write_pipeline_report({dir / "tok", dir / "pt", dir / "sd", dir / "asm"}, out, "demo"), 4u);
  const std::string html = read_file(out);
  EXPECT_THAT(html, HasSubstr("<title>demo</title>"));
  EXPECT_THAT(html, HasSubstr("VQ neural tokenizer"));
  EXPECT_THAT(html, HasSubstr("0.7852 (step 150)"));                   // codebook usage, last logged
  EXPECT_THAT(html, HasSubstr("0.005555 (step 10)"));                  // masked-token accuracy, first logged
  EXPECT_THAT(html, HasSubstr("auroc 0.875, balanced_accuracy 0.5"));  // overview row
  EXPECT_THAT(html, HasSubstr("auroc 0.75 (mean over seeds)"));
  EXPECT_THAT(html, HasSubstr("0.75 ± 0.125"));
  EXPECT_THAT(html, HasSubstr("runs/pt"));  // initialisation
  EXPECT_THAT(html, HasSubstr("linear_probe"));
  EXPECT_THAT(html, HasSubstr("href=\"sd/report.html\""));  // relative to the report's folder
  EXPECT_THAT(html, HasSubstr("<td>sensitivity</td><td>n/a</td>"));
  EXPECT_THAT(html, Not(HasSubstr("<script")));
}

TEST(PipelineReport, RefusesADirectoryThatIsNoFinishedRun) {
  test::TempDir dir;
  fs::create_directories(dir / "empty");
  EXPECT_THAT([&] { detect_run_kind(dir / "empty"); },
              ::testing::ThrowsMessage<DataError>(HasSubstr("holds none of summary.json, metrics.json")));
  EXPECT_THAT([&] { detect_run_kind(dir / "missing"); },
              ::testing::ThrowsMessage<DataError>(HasSubstr("is not a run directory")));
  write(dir / "bad" / "metrics.json", "{\"head\": ");
  EXPECT_THAT([&] { write_pipeline_report({dir / "bad"}, dir / "r.html", "t"); },
              ::testing::ThrowsMessage<DataError>(HasSubstr("cannot read")));
}

}  // namespace
}  // namespace efm::eval
