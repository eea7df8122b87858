// LaBraM's VQ-NSP tokenizer layout (names from github.com/935963004/LaBraM modeling_vqnsp.py, norm_ema_quantizer.py),
// written here from a tokenizer of ours: import gives back the same codes, reconstruction and left-out list.
#include <gtest/gtest.h>

#include "epilepsyfm/core/fs.h"
#include "epilepsyfm/interop/import.h"
#include "epilepsyfm/models/tokenizer.h"
#include "epilepsyfm/signal/channels.h"
#include "support/test_support.h"

namespace efm::interop {
namespace {

using TensorMap = std::map<std::string, torch::Tensor>;

models::TokenizerOptions labram_like_tokenizer() {
  auto o = models::tokenizer_preset("base");
  o.encoder().depth(2).use_spectral(false).use_regions(false).max_patches(16);
  o.decoder_depth(1);
  o.vq(models::VectorQuantizerOptions(16, 8).kmeans_init(false));
  return o;
}

// Our name -> LaBraM's, stated here independently of the importer's tables.
std::string labram_name(std::string n) {
  const std::pair<const char*, const char*> rules[] = {
      {"encoder.patch_embed.positions.spatial.electrode_embed.weight", "encoder.pos_embed"},
      {"encoder.patch_embed.positions.time_embed", "encoder.time_embed"},
      {"encoder.patch_embed.positions.cls_token", "encoder.cls_token"},
      {"encoder.patch_embed.temporal.", "encoder.patch_embed."},
      {"encoder.norm.", "encoder.fc_norm."},
      {"decoder.positions.spatial.electrode_embed.weight", "decoder.pos_embed"},
      {"decoder.positions.time_embed", "decoder.time_embed"},
      {"decoder.positions.cls_token", "decoder.cls_token"},
      {"decoder.input_proj.", "decoder.patch_embed.proj."},
      {"decoder.norm.", "decoder.fc_norm."},
      {"decoder.amplitude_head.fc1.", "decode_task_layer.0."},
      {"decoder.amplitude_head.fc2.", "decode_task_layer.2."},
      {"decoder.phase_head.fc1.", "decode_task_layer_angle.0."},
      {"decoder.phase_head.fc2.", "decode_task_layer_angle.2."},
      {"encode_task_layer.fc1.", "encode_task_layer.0."},
      {"encode_task_layer.fc2.", "encode_task_layer.2."},
      {"quantizer.codebook", "quantize.embedding.weight"},
      {"quantizer.initialized", "quantize.embedding.initted"},
      {"quantizer.cluster_size", "quantize.cluster_size"},
  };
  for (const auto& [ours, theirs] : rules) {
    if (n.rfind(ours, 0) == 0) return theirs + n.substr(std::string(ours).size());
  }
  return n;
}

TensorMap as_vqnsp(models::NeuralTokenizerImpl& tok) {
  TensorMap out;
  for (const auto& [name, t] : models::state_dict(tok)) {
    if (name == "quantizer.usage_counts") continue;
    torch::Tensor v = t.detach().clone();
    if (name.find("electrode_embed") != std::string::npos) {
      v = torch::zeros({1, 129, t.size(1)});
      v[0].slice(0, 1).copy_(t.slice(0, 1, 129));
    } else if (name == "decoder.input_proj.weight") {
      v = v.unsqueeze(-1).unsqueeze(-1);  // Conv2d(code_dim, d, 1)
    } else if (name == "quantizer.initialized") {
      v = torch::ones({1});
    }
    out.emplace(labram_name(name), v);
  }
  out.emplace("quantize.embedding.cluster_size", torch::zeros({16}));
  out.emplace("quantize.embedding.embed_avg", torch::zeros({16, 8}));
  return out;
}

TEST(InteropTokenizer, VqnspLayoutImportsWithTheSameCodes) {
  test::TempDir dir("efm_import_tok");
  torch::manual_seed(4);
  models::NeuralTokenizer tok(labram_like_tokenizer());
  tok->eval();
  c10::Dict<std::string, at::Tensor> d;
  for (const auto& [k, v] : as_vqnsp(*tok)) d.insert(k, v);
  const std::vector<char> bytes = models::pickle_tensor_dict(d);
  atomic_write_file(dir / "vqnsp.pth", std::string_view(bytes.data(), bytes.size()));

  ImportOptions o;
  o.source = dir / "vqnsp.pth";
  o.out = dir / "tok";
  const ImportResult r = import_weights(o);
  EXPECT_EQ(r.kind, config::ExperimentKind::tokenizer);
  EXPECT_TRUE(r.report.missing.empty() && r.report.unexpected.empty() && r.report.mismatched.empty())
      << r.report.summary();
  EXPECT_EQ(r.report.kept_init, std::vector<std::string>{"quantizer.usage_counts"});
  EXPECT_EQ(r.left_out, (std::vector<std::string>{"quantize.embedding.cluster_size", "quantize.embedding.embed_avg"}));
  EXPECT_FALSE(*r.model.qk_norm);
  EXPECT_TRUE(*r.model.qkv_bias);

  const auto file = models::read_state_dict(r.weights);
  EXPECT_NE(file.config_yaml.find("experiment: tokenizer"), std::string::npos);
  models::NeuralTokenizer back(labram_like_tokenizer());
  models::load_state_dict(*back, file.tensors, "imported", {});
  back->eval();
  models::EegInput in;
  in.signal = torch::randn({2, 3, 800});
  in.channel_ids =
      torch::tensor({signal::electrode_index("FP1"), signal::electrode_index("CZ"), signal::electrode_index("O2")});
  EXPECT_TRUE(torch::equal(back->encode(in), tok->encode(in)));
  torch::NoGradGuard ng;
  const auto g = back->encoder->check(in);
  const auto [amp_a, phase_a] = back->decoder->forward(back->quantize(in, g).z_q, in, g);
  const auto [amp_b, phase_b] = tok->decoder->forward(tok->quantize(in, g).z_q, in, g);
  EXPECT_TRUE(torch::allclose(amp_a, amp_b, 1e-6, 1e-6));
  EXPECT_TRUE(torch::allclose(phase_a, phase_b, 1e-6, 1e-6));
}

}  // namespace
}  // namespace efm::interop
