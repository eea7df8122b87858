// epilepsyfm import / export in-process, on weights built here in braindecode's and LaBraM's names from a backbone
// of ours (no Python): the round trip gives the same outputs, and broken files are refused naming the tensor.
#include <gtest/gtest.h>

#include <fstream>

#include "epilepsyfm/core/error.h"
#include "epilepsyfm/core/fs.h"
#include "epilepsyfm/interop/export.h"
#include "epilepsyfm/interop/import.h"
#include "epilepsyfm/models/backbone.h"
#include "epilepsyfm/signal/channels.h"
#include "support/test_support.h"

namespace efm::interop {
namespace {

using TensorMap = std::map<std::string, torch::Tensor>;

models::BackboneOptions labram_like() {
  return models::backbone_preset("base")
      .depth(2)
      .use_spectral(false)
      .use_regions(false)
      .pooling(models::Pooling::cls)
      .max_patches(5);
}

// The backbone's tensors as braindecode names them: position rows 0..128 (row 0, CLS's position, zero).
TensorMap as_braindecode(models::BackboneImpl& net) {
  TensorMap out;
  for (const auto& [name, t] : models::state_dict(net)) {
    torch::Tensor v = t.detach().clone();
    if (name == kOurElectrodeTable) {
      v = torch::zeros({1, kLabramElectrodes + 1, t.size(1)});
      v[0].slice(0, 1).copy_(t.slice(0, 1, kLabramElectrodes + 1));
    }
    out.emplace(to_foreign_name(name, ForeignLayout::braindecode), v);
  }
  return out;
}

void write(const TensorMap& m, const std::filesystem::path& path) {
  c10::Dict<std::string, at::Tensor> d;
  for (const auto& [k, v] : m) d.insert(k, v);
  const std::vector<char> bytes = models::pickle_tensor_dict(d);
  atomic_write_file(path, std::string_view(bytes.data(), bytes.size()));
}

models::EegInput input_for(const std::vector<std::string>& names, int64_t patches) {
  models::EegInput in;
  torch::manual_seed(3);
  in.signal = torch::randn({2, static_cast<int64_t>(names.size()), patches * 200});
  std::vector<int64_t> ids;
  for (const auto& n : names) ids.push_back(signal::electrode_index(n));
  in.channel_ids = torch::tensor(ids, torch::kInt64);
  return in;
}

std::string import_error(const TensorMap& m, const test::TempDir& dir) {
  write(m, dir / "w.pt");
  ImportOptions o;
  o.source = dir / "w.pt";
  o.out = dir / "run";
  try {
    import_weights(o);
  } catch (const Error& e) {
    return e.what();
  }
  return "no error";
}

TEST(InteropNames, RenameTableBothWays) {
  EXPECT_EQ(to_our_name("patch_embed.temporal_conv.conv1.weight", ForeignLayout::braindecode),
            "patch_embed.temporal.conv1.weight");
  EXPECT_EQ(to_our_name("patch_embed.conv1.weight", ForeignLayout::labram), "patch_embed.temporal.conv1.weight");
  EXPECT_EQ(to_our_name("blocks.3.mlp.2.bias", ForeignLayout::braindecode), "blocks.3.mlp.fc2.bias");
  EXPECT_EQ(to_our_name("final_layer.weight", ForeignLayout::braindecode), "head.fc.weight");
  EXPECT_EQ(to_our_name("head.bias", ForeignLayout::labram), "head.fc.bias");
  EXPECT_EQ(to_our_name("pos_embed", ForeignLayout::labram), kOurElectrodeTable);
  EXPECT_EQ(to_foreign_name(kOurTimeTable, ForeignLayout::braindecode), "temporal_embedding");
  EXPECT_EQ(to_foreign_name("blocks.0.attn.q_norm.weight", ForeignLayout::labram), "blocks.0.attn.q_norm.weight");
  const auto& e = labram_electrodes();
  ASSERT_EQ(e.size(), 128u);
  EXPECT_EQ(e.front(), "FP1");
  EXPECT_EQ(e[88], "T3");  // a legacy row, kept for the row order
  EXPECT_EQ(e.back(), "P8-O2");
}

TEST(InteropImport, BraindecodeRoundTripGivesTheSameOutputsAndTensors) {
  test::TempDir dir("efm_import");
  torch::manual_seed(1);
  models::Backbone net(labram_like());
  net->eval();
  const TensorMap theirs = as_braindecode(*net);
  write(theirs, dir / "bd.pt");
  ImportOptions o;
  o.source = dir / "bd.pt";
  o.out = dir / "run";
  const ImportResult r = import_weights(o);
  EXPECT_EQ(r.layout, ForeignLayout::braindecode);
  EXPECT_EQ(*r.model.depth, 2);
  EXPECT_EQ(*r.model.heads, 10);
  EXPECT_EQ(r.model.max_patches, 5);
  EXPECT_EQ(r.model.pooling, models::Pooling::cls);
  EXPECT_TRUE(r.model.final_norm);
  EXPECT_TRUE(r.report.missing.empty() && r.report.unexpected.empty() && r.report.mismatched.empty());
  EXPECT_TRUE(r.left_out.empty());

  models::Backbone back(r.model.to_options());
  models::LoadOptions lo;
  lo.prefix = "backbone.";
  models::load_state_dict(*back, r.weights, lo);
  back->eval();
  torch::NoGradGuard ng;
  const auto in = input_for({"FP1", "CZ", "O2", "T7-P7"}, 4);
  EXPECT_TRUE(torch::allclose(back->forward(in).tokens, net->forward(in).tokens, 1e-6, 1e-6));

  ExportOptions eo;
  eo.model = dir / "run";
  eo.out = dir / "out.pt";
  eo.n_times = 800;
  const ExportResult x = export_braindecode(eo);
  EXPECT_EQ(x.n_outputs, 0);
  const auto exported = models::read_state_dict(x.weights).tensors;
  ASSERT_EQ(exported.size(), theirs.size());
  for (const auto& [name, t] : theirs) {
    ASSERT_TRUE(exported.count(name)) << name;
    EXPECT_TRUE(torch::equal(exported.at(name), t)) << name;
  }
  EXPECT_NE(read_file(x.json).find("\"use_mean_pooling\": false"), std::string::npos) << read_file(x.json);
}

TEST(InteropImport, LabramPretrainingCheckpointFollowsLabramFinetuning) {
  test::TempDir dir("efm_import");
  torch::manual_seed(2);
  models::Backbone net(labram_like());
  TensorMap theirs;
  for (const auto& [name, t] : as_braindecode(*net)) {
    std::string n = to_foreign_name(to_our_name(name, ForeignLayout::braindecode), ForeignLayout::labram);
    theirs.emplace("student." + n, t);
  }
  theirs.emplace("student.mask_token", torch::zeros({1, 1, 200}));
  theirs.emplace("lm_head.weight", torch::zeros({16, 200}));
  const std::string err_free = import_error(theirs, dir);
  EXPECT_EQ(err_free, "no error");
  const auto run = models::read_state_dict(dir / "run" / "pretrained.pt");
  EXPECT_EQ(run.tensors.count("backbone.norm.weight"), 0u);  // LaBraM fine-tuning: mean pooling, no final norm
  EXPECT_TRUE(torch::equal(run.tensors.at("backbone.blocks.1.mlp.fc2.weight"),
                           net->blocks[1]->as<models::BlockImpl>()->mlp->fc2->weight));
  EXPECT_NE(run.config_yaml.find("final_norm: false"), std::string::npos);
  EXPECT_NE(run.config_yaml.find("profile: labram"), std::string::npos);
}

TEST(InteropImport, RefusesBrokenFilesNamingTheTensor) {
  test::TempDir dir("efm_import");
  models::Backbone net(labram_like());
  const TensorMap good = as_braindecode(*net);

  TensorMap truncated = good;
  truncated.erase("blocks.1.mlp.2.weight");
  EXPECT_NE(import_error(truncated, dir).find("'blocks.1.mlp.2.weight' (ours: 'blocks.1.mlp.fc2.weight') is missing"),
            std::string::npos)
      << import_error(truncated, dir);

  TensorMap wrong = good;
  wrong["blocks.0.attn.qkv.weight"] = torch::zeros({300, 200});
  EXPECT_NE(import_error(wrong, dir).find("'blocks.0.attn.qkv.weight' has shape [300, 200] in the file but [600, 200]"),
            std::string::npos)
      << import_error(wrong, dir);

  TensorMap rel = good;
  rel["blocks.0.attn.relative_position_bias_table"] = torch::zeros({10, 10});
  EXPECT_NE(import_error(rel, dir).find("relative position bias"), std::string::npos);

  TensorMap vq{{"encoder.cls_token", torch::zeros({1, 1, 8})}, {"quantize.embedding.weight", torch::zeros({4, 2})}};
  EXPECT_NE(import_error(vq, dir).find("no transformer block ('blocks.0.norm1.weight' is missing)"), std::string::npos)
      << import_error(vq, dir);  // taken as a VQ-NSP tokenizer, whose encoder has no block

  const TensorMap other{{"conv.weight", torch::zeros({2, 2})}};
  EXPECT_NE(import_error(other, dir).find("neither LaBraM's nor braindecode's Labram backbone"), std::string::npos)
      << import_error(other, dir);

  write(good, dir / "w.pt");
  const std::string bytes = read_file(dir / "w.pt");
  atomic_write_file(dir / "cut.pt", std::string_view(bytes.data(), bytes.size() / 2));
  ImportOptions o;
  o.source = dir / "cut.pt";
  o.out = dir / "run_cut";
  try {
    import_weights(o);
    ADD_FAILURE() << "a truncated file was imported";
  } catch (const DataError& e) {
    EXPECT_NE(std::string(e.what()).find("cut.pt: not a readable torch.save file"), std::string::npos) << e.what();
  }
}

}  // namespace
}  // namespace efm::interop
