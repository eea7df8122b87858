#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <fmt/format.h>

#include <fstream>
#include <map>
#include <sstream>

#include "epilepsyfm/core/error.h"
#include "epilepsyfm/models/checkpoint_io.h"
#include "epilepsyfm/models/pretrain_model.h"
#include "epilepsyfm/models/tokenizer.h"
#include "model_test_util.h"
#include "support/test_support.h"

using ::testing::HasSubstr;
using ::testing::ThrowsMessage;

namespace efm::models {
namespace {

const char* kConfig = "model:\n  size: tiny\n  note: \"µV/100, 0.5–70 Hz\"\n";

TEST(CheckpointIo, RoundTripRestoresParametersBuffersAndConfig) {
  efm::test::TempDir dir("ckpt");
  torch::manual_seed(0);
  NeuralTokenizer a(test::micro_tokenizer());
  a->train();
  a->forward(test::random_input(2, 3, 2));  // initialise and update the codebook buffers
  save_state_dict(*a, dir / "tok.pt", kConfig);

  torch::manual_seed(1);
  NeuralTokenizer b(test::micro_tokenizer());
  EXPECT_FALSE(b->quantizer->initialized());
  const std::string config = load_state_dict(*b, dir / "tok.pt");
  EXPECT_EQ(config, kConfig);
  EXPECT_TRUE(b->quantizer->initialized());
  const auto sa = state_dict(*a);
  const auto sb = state_dict(*b);
  ASSERT_EQ(sa.size(), sb.size());
  for (size_t i = 0; i < sa.size(); ++i) {
    EXPECT_EQ(sa[i].first, sb[i].first);
    EXPECT_TRUE(torch::equal(sa[i].second, sb[i].second)) << sa[i].first;
  }
  const StateDictFile f = read_state_dict(dir / "tok.pt");
  EXPECT_EQ(f.format_version, kStateDictFormatVersion);
  EXPECT_EQ(f.tensors.size(), sa.size());
}

TEST(CheckpointIo, LoadReportsWhatMatchedByName) {
  efm::test::TempDir dir("ckpt");
  const BackboneOptions small = test::micro_options();
  Backbone net(small);
  save_state_dict(*net, dir / "net.pt");
  const StateDictFile file = read_state_dict(dir / "net.pt");
  const size_t n = state_dict(*net).size();

  Backbone same(small);
  const LoadReport all = load_state_dict(*same, file.tensors, "net.pt");
  EXPECT_EQ(all.loaded.size(), n);
  EXPECT_TRUE(all.kept_init.empty() && all.missing.empty() && all.unexpected.empty() && all.mismatched.empty());
  EXPECT_EQ(all.summary(), fmt::format("{} tensor(s) loaded", n));

  // A deeper model: its third block may start from its initialisation when the load says so, even strict.
  BackboneOptions deeper = small;
  deeper.depth(3);
  Backbone third(deeper);
  LoadOptions allow;
  allow.may_be_missing = {"blocks.2."};
  const LoadReport partial = load_state_dict(*third, file.tensors, "net.pt", allow);
  EXPECT_EQ(partial.loaded.size(), n);
  EXPECT_EQ(partial.kept_init.size(), 17u);
  EXPECT_THAT(partial.summary(), HasSubstr("; 17 kept their initialisation: blocks.2.gamma_1, blocks.2.gamma_2"));
  const auto tensor_of = [](const torch::nn::Module& m, const std::string& key) {
    for (const auto& [name, t] : state_dict(m)) {
      if (name == key) return t;
    }
    return torch::Tensor();
  };
  EXPECT_TRUE(torch::equal(tensor_of(*third, "blocks.0.attn.qkv.weight"), tensor_of(*net, "blocks.0.attn.qkv.weight")));

  // Non-strict: what does not fit is reported, not thrown.
  BackboneOptions no_regions = small;
  no_regions.use_regions(false);
  Backbone fourth(no_regions);
  LoadOptions lax;
  lax.strict = false;
  const LoadReport extra = load_state_dict(*fourth, file.tensors, "net.pt", lax);
  EXPECT_EQ(extra.unexpected, std::vector<std::string>{"patch_embed.positions.spatial.region_embed.weight"});
  EXPECT_THAT(extra.summary(), HasSubstr("; 1 not in the model: patch_embed.positions.spatial.region_embed.weight"));

  // A refused load copies nothing: a shape mismatch leaves every tensor of the module as it was.
  BackboneOptions wider = small;
  wider.n_electrodes(64);
  Backbone other(wider);
  std::vector<torch::Tensor> before;
  for (const auto& [name, t] : state_dict(*other)) before.push_back(t.clone());
  EXPECT_THROW(load_state_dict(*other, file.tensors, "net.pt"), DataError);
  size_t i = 0;
  for (const auto& [name, t] : state_dict(*other)) EXPECT_TRUE(torch::equal(t, before[i++])) << name;
}

TEST(CheckpointIo, MismatchesNameTheKeyAndBothShapes) {
  efm::test::TempDir dir("ckpt");
  BackboneOptions small = test::micro_options();
  Backbone net(small);
  save_state_dict(*net, dir / "net.pt");
  BackboneOptions wider = small;
  wider.n_electrodes(64);
  Backbone other(wider);
  EXPECT_THAT([&] { load_state_dict(*other, dir / "net.pt"); },
              ThrowsMessage<DataError>(HasSubstr("'patch_embed.positions.spatial.electrode_embed.weight' has shape "
                                                 "[32, 32] in the file but [64, 32] in the model")));
  BackboneOptions deeper = small;
  deeper.depth(3);
  Backbone third(deeper);
  EXPECT_THAT(
      [&] { load_state_dict(*third, dir / "net.pt"); },
      ThrowsMessage<DataError>(HasSubstr(
          "17 model entries are missing from the file: blocks.2.gamma_1, blocks.2.gamma_2, blocks.2.norm1.weight")));
  BackboneOptions no_regions = small;
  no_regions.use_regions(false);
  Backbone fourth(no_regions);
  EXPECT_THAT([&] { load_state_dict(*fourth, dir / "net.pt"); },
              ThrowsMessage<DataError>(HasSubstr("1 file entry is not in the model: "
                                                 "patch_embed.positions.spatial.region_embed.weight")));
  EXPECT_NO_THROW(load_state_dict(*fourth, dir / "net.pt", LoadOptions{"", /*strict=*/false}));
  std::ofstream(dir / "junk.pt") << "not a pickle";
  EXPECT_THAT([&] { read_state_dict(dir / "junk.pt"); }, ThrowsMessage<DataError>(HasSubstr("junk.pt: not a pickled "
                                                                                            "state dict")));
}

TEST(CheckpointIo, PrefixLoadsTheBackboneOfAPretrainingCheckpoint) {
  efm::test::TempDir dir("ckpt");
  torch::manual_seed(0);
  MaskedEegModel mem(MaskedEegModelOptions(test::micro_options()).codebook_size(8));
  save_state_dict(*mem, dir / "mem.pt");
  torch::manual_seed(1);
  Backbone net(test::micro_options());
  load_state_dict(*net, dir / "mem.pt", LoadOptions{"backbone.", /*strict=*/true});
  EXPECT_TRUE(torch::equal(net->blocks->ptr<BlockImpl>(1)->mlp->fc2->weight,
                           mem->backbone->blocks->ptr<BlockImpl>(1)->mlp->fc2->weight));
}

}  // namespace
}  // namespace efm::models
