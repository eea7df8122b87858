#include "models/detail/gemm_linear.h"

#include <ATen/autocast_mode.h>

#ifdef EFM_WITH_ONEDNN
#include <oneapi/dnnl/dnnl.hpp>
#endif

#include <cstdlib>
#include <cstring>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <tuple>
#include <unordered_map>

#include <fmt/format.h>

#include "epilepsyfm/core/check.h"
#include "epilepsyfm/core/error.h"
#include "epilepsyfm/models/signal_spec.h"

namespace efm::models::detail {

#ifdef EFM_WITH_ONEDNN
namespace {

using torch::autograd::AutogradContext;
using torch::autograd::variable_list;

// Row-major C = op(A) op(B), all float32; oneDNN's sgemm threads over the OpenMP pool. Used for the bias-free
// forward and the two backward products (the matmul primitive was not faster there: 170-214 against 170-212
// GFLOP/s for the backward shapes).
void sgemm(char trans_a, char trans_b, int64_t m, int64_t n, int64_t k, const float* a, int64_t lda, const float* b,
           int64_t ldb, float* c, int64_t ldc) {
  const dnnl_status_t s = dnnl_sgemm(trans_a, trans_b, m, n, k, 1.0f, a, lda, b, ldb, 0.0f, c, ldc);
  EFM_CHECK_STATE(s == dnnl_success, "oneDNN sgemm ({}{} {}x{}x{}) failed with status {}", trans_a, trans_b, m, n, k,
                  static_cast<int>(s));
}

// y [R, out] = x [R, in] W^T + bias through oneDNN's matmul primitive: its brgemm kernels add the bias while
// storing each block, where sgemm would need the bias copied into y first (a full extra pass over y). Measured
// here for the base block's shapes (R = 1488): 196-207 GFLOP/s for bias copy + sgemm against 213-218 for the
// matmul. Primitives are built once per shape (0.3-0.8 ms) and cached; callers hold their entry while it runs and
// pass their own scratchpad, so concurrent calls are safe.
class ForwardProducts {
 public:
  void run(const float* x, const float* w, const float* bias, float* y, int64_t rows, int64_t in, int64_t out) {
    using dnnl::memory;
    const std::shared_ptr<const Entry> e = entry(rows, in, out);
    auto scratch = torch::empty({static_cast<int64_t>(e->pd.scratchpad_desc().get_size())}, torch::kByte);
    dnnl::stream stream(engine_);
    const std::unordered_map<int, memory> args{
        {DNNL_ARG_SRC, memory(e->pd.src_desc(), engine_, const_cast<float*>(x))},
        {DNNL_ARG_WEIGHTS, memory(e->pd.weights_desc(), engine_, const_cast<float*>(w))},
        {DNNL_ARG_BIAS, memory(e->pd.bias_desc(), engine_, const_cast<float*>(bias))},
        {DNNL_ARG_DST, memory(e->pd.dst_desc(), engine_, y)},
        {DNNL_ARG_SCRATCHPAD, memory(e->pd.scratchpad_desc(), engine_, scratch.data_ptr())}};
    e->primitive.execute(stream, args);
    stream.wait();
  }

 private:
  struct Entry {
    dnnl::matmul::primitive_desc pd;
    dnnl::matmul primitive;
  };
  using Key = std::tuple<int64_t, int64_t, int64_t>;

  std::shared_ptr<const Entry> entry(int64_t rows, int64_t in, int64_t out) {
    using dnnl::memory;
    std::lock_guard<std::mutex> lock(mutex_);
    const Key key{rows, in, out};
    auto it = cache_.find(key);
    if (it != cache_.end()) return it->second;
    // Fine-tuning and prediction see a few batch sizes; a bound keeps odd workloads from growing it forever.
    if (cache_.size() >= 256) cache_.clear();
    const auto f32 = memory::data_type::f32;
    const memory::desc src({rows, in}, f32, memory::dims{in, 1});
    const memory::desc weights({in, out}, f32, memory::dims{1, in});  // W^T over W's [out, in] row-major storage
    const memory::desc dst({rows, out}, f32, memory::dims{out, 1});
    dnnl::primitive_attr attr;
    attr.set_scratchpad_mode(dnnl::scratchpad_mode::user);
    const memory::desc bias_md({1, out}, f32, memory::dims{out, 1});
    dnnl::matmul::primitive_desc pd(dnnl::matmul::desc(src, weights, bias_md, dst), attr, engine_);
    auto e = std::make_shared<const Entry>(Entry{pd, dnnl::matmul(pd)});
    cache_.emplace(key, e);
    return e;
  }

  dnnl::engine engine_{dnnl::engine::kind::cpu, 0};
  std::mutex mutex_;
  std::map<Key, std::shared_ptr<const Entry>> cache_;
};

ForwardProducts& forward_products() {
  static ForwardProducts p;
  return p;
}

struct GemmLinearFunction : public torch::autograd::Function<GemmLinearFunction> {
  // x2d [R, in], weight [out, in], bias [out] or [0] (none: autograd::Function inputs must be defined) -> [R, out]
  static torch::Tensor forward(AutogradContext* ctx, const torch::Tensor& x2d, const torch::Tensor& weight,
                               const torch::Tensor& bias) {
    RECORD_FUNCTION("efm::gemm_linear", std::vector<c10::IValue>({x2d, weight}));
    const int64_t rows = x2d.size(0), in = x2d.size(1), out = weight.size(0);
    auto y = torch::empty({rows, out}, x2d.options());
    const bool has_bias = bias.numel() > 0;
    if (rows > 0 && has_bias) {
      try {
        forward_products().run(x2d.data_ptr<float>(), weight.data_ptr<float>(), bias.data_ptr<float>(),
                               y.data_ptr<float>(), rows, in, out);
      } catch (const dnnl::error& e) {
        throw Error(fmt::format("oneDNN matmul ({} x {} -> {}) failed: {}", rows, in, out, e.what()));
      }
    } else if (rows > 0) {
      // Without a bias sgemm was as fast or faster (the VQ lookup, K = 64: 5.0 ms against 8.6 ms in a step profile).
      sgemm('N', 'T', rows, out, in, x2d.data_ptr<float>(), in, weight.data_ptr<float>(), in, y.data_ptr<float>(), out);
    }
    ctx->save_for_backward({x2d, weight});
    ctx->saved_data["bias"] = has_bias;
    return y;
  }

  static variable_list backward(AutogradContext* ctx, variable_list grads) {
    const auto saved = ctx->get_saved_variables();
    const auto& x2d = saved[0];
    const auto& weight = saved[1];
    const int64_t rows = x2d.size(0), in = x2d.size(1), out = weight.size(0);
    const auto gy = grads[0].contiguous();
    torch::Tensor gx, gw, gb;
    if (ctx->needs_input_grad(0)) {
      gx = torch::empty({rows, in}, gy.options());
      if (rows > 0) {
        sgemm('N', 'N', rows, in, out, gy.data_ptr<float>(), out, weight.data_ptr<float>(), in, gx.data_ptr<float>(),
              in);
      } else {
        gx.zero_();
      }
    }
    if (ctx->needs_input_grad(1)) {
      gw = torch::empty({out, in}, gy.options());
      if (rows > 0) {
        sgemm('T', 'N', out, in, rows, gy.data_ptr<float>(), out, x2d.data_ptr<float>(), in, gw.data_ptr<float>(), in);
      } else {
        gw.zero_();
      }
    }
    if (ctx->saved_data["bias"].toBool() && ctx->needs_input_grad(2)) gb = gy.sum(0);
    return {gx, gw, gb};
  }
};

}  // namespace
#endif

namespace {

bool applies(const torch::Tensor& x, const torch::Tensor& weight, const torch::Tensor& bias) {
  auto ok = [](const torch::Tensor& t) { return t.device().is_cpu() && t.scalar_type() == torch::kFloat; };
  // Under CPU autocast (train.bf16: on) torch::linear runs in bfloat16; this float32 path would bypass that.
  return gemm_linear_enabled() && !at::autocast::is_cpu_enabled() && ok(x) && ok(weight) &&
         (!bias.defined() || ok(bias)) && x.dim() >= 1 && weight.dim() == 2 && x.size(-1) == weight.size(1);
}

}  // namespace

torch::Tensor gemm_linear(const torch::Tensor& x, const torch::Tensor& weight, const torch::Tensor& bias) {
  EFM_CHECK_ARG(x.dim() >= 1 && weight.dim() == 2 && x.size(-1) == weight.size(1),
                "gemm_linear: x {} and weight {} do not match (expected x [..., in], weight [out, in])", shape_str(x),
                shape_str(weight));
  EFM_CHECK_ARG(!bias.defined() || (bias.dim() == 1 && bias.size(0) == weight.size(0)),
                "gemm_linear: bias {} does not match weight {}", shape_str(bias), shape_str(weight));
  EFM_CHECK_ARG(x.device().is_cpu() && x.scalar_type() == torch::kFloat && weight.device().is_cpu() &&
                    weight.scalar_type() == torch::kFloat,
                "gemm_linear: needs float32 CPU tensors, got x {} on {} and weight {} on {}",
                dtype_str(x.scalar_type()), x.device().str(), dtype_str(weight.scalar_type()), weight.device().str());
#ifdef EFM_WITH_ONEDNN
  auto sizes = x.sizes().vec();
  sizes.back() = weight.size(0);
  auto x2d = x.reshape({-1, x.size(-1)}).contiguous();
  auto y = GemmLinearFunction::apply(x2d, weight.contiguous(),
                                     bias.defined() ? bias.contiguous() : torch::empty({0}, weight.options()));
  return y.view(sizes);
#else
  return torch::linear(x, weight, bias);
#endif
}

torch::Tensor linear(const torch::Tensor& x, const torch::Tensor& weight, const torch::Tensor& bias) {
  return applies(x, weight, bias) ? gemm_linear(x, weight, bias) : torch::linear(x, weight, bias);
}

torch::Tensor linear(const torch::nn::Linear& module, const torch::Tensor& x) {
  return linear(x, module->weight, module->bias);
}

bool gemm_linear_built() {
#ifdef EFM_WITH_ONEDNN
  return true;
#else
  return false;
#endif
}

std::string gemm_library_version() {
#ifdef EFM_WITH_ONEDNN
  const dnnl_version_t* v = dnnl_version();
  return std::to_string(v->major) + "." + std::to_string(v->minor) + "." + std::to_string(v->patch);
#else
  return {};
#endif
}

bool gemm_linear_enabled() {
#ifdef EFM_WITH_ONEDNN
  static const bool enabled = [] {
    const char* v = std::getenv("EPILEPSYFM_GEMM");
    return v == nullptr || std::string(v) != "blas";
  }();
  return enabled;
#else
  return false;
#endif
}

}  // namespace efm::models::detail
