// The model predict runs comes from the head registry (HeadDefinition::model): window heads have one, others not.
#include <gtest/gtest.h>
#include <torch/torch.h>

#include <vector>

#include "epilepsyfm/eval/finetune/heads/head.h"
#include "epilepsyfm/eval/finetune/heads/kinds.h"

namespace efm::eval {
namespace {

TEST(HeadModel, RegistryBuildsThePredictModelOfWindowHeads) {
  FinetuneExperiment exp;
  exp.model.size = "tiny";
  exp.resolved.classes = {"non_seizure", "seizure"};
  const auto& def = head_registry().get("seizure_detection");
  ASSERT_TRUE(def.model);
  const FinetuneModel m = def.model(exp);
  EXPECT_EQ(m->backbone->options().embed_dim(), 64);
  EXPECT_EQ(m->backbone->options().depth(), 4);
  EXPECT_EQ(m->head_as<LinearHeadImpl>()->fc->weight.sizes(), (std::vector<int64_t>{1, 64}));  // one logit
  // The state names a finetune checkpoint holds: backbone.* and head.fc.*
  EXPECT_TRUE(m->named_parameters().contains("head.fc.weight"));
  EXPECT_TRUE(m->named_parameters().contains("backbone.norm.weight"));
  exp.resolved.classes = {"a", "b", "c"};
  EXPECT_EQ(window_classifier_model(exp)->head_as<LinearHeadImpl>()->fc->weight.size(0), 3);
  EXPECT_TRUE(head_registry().get("seizure_type").model);
  EXPECT_FALSE(head_registry().get("forecast_short").model);
  EXPECT_FALSE(head_registry().get("asm_efficacy").model);
}

}  // namespace
}  // namespace efm::eval
