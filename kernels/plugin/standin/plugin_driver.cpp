// Plays TensorRT's part for libstylert_trt_plugin on machines without TensorRT: it loads the plugin through
// its two entry points (setLoggerFinder, getCreators), creates it from ONNX-style attributes, serialises and
// deserialises its fields, asks it what the builder and the runtime ask, and runs enqueue over host memory
// (the plugin is linked with the emulated kernels). A C API for tests/kernels/test_trt_plugin_host.py.
#include <NvInferRuntime.h>

#include <cstring>
#include <string>
#include <vector>

using namespace nvinfer1;

extern "C" void setLoggerFinder(ILoggerFinder* finder);
extern "C" IPluginCreatorInterface* const* getCreators(int32_t& nbCreators);

namespace {

class Recorder final : public ILogger {
public:
    void log(Severity severity, AsciiChar const* msg) noexcept override {
        text += std::to_string(static_cast<int>(severity)) + ":" + msg + "\n";
    }
    std::string text;
};

class Finder final : public ILoggerFinder {
public:
    ILogger* findLogger() override { return &recorder; }
    Recorder recorder;
};

Finder finder;
IPluginCreatorV3One* creator = nullptr;

class Builder final : public IExprBuilder {};  // the plugin only passes expressions through

int copy_out(std::string const& text, char* out, int cap) {
    if (cap > 0) {
        std::strncpy(out, text.c_str(), static_cast<size_t>(cap) - 1);
        out[cap - 1] = '\0';
    }
    return static_cast<int>(text.size());
}

IPluginV3* as_plugin(void* p) { return static_cast<IPluginV3*>(p); }

template <typename Capability>
Capability* capability(void* p, PluginCapabilityType type) {
    return static_cast<Capability*>(as_plugin(p)->getCapabilityInterface(type));
}

IPluginV3OneBuild* build(void* p) { return capability<IPluginV3OneBuild>(p, PluginCapabilityType::kBUILD); }
IPluginV3OneRuntime* runtime(void* p) { return capability<IPluginV3OneRuntime>(p, PluginCapabilityType::kRUNTIME); }

Dims dims_of(int nb, int64_t const* d) {
    Dims out{};
    out.nbDims = nb;
    for (int i = 0; i < nb; ++i) out.d[i] = d[i];
    return out;
}

// x [n,c,h,w] of `type`, gamma and beta [c] float32, an optional residual like x; then the output like x.
std::vector<PluginTensorDesc> descs(int nb_inputs, int64_t const* x, DataType type) {
    PluginTensorDesc const tensor{dims_of(4, x), type, TensorFormat::kLINEAR, -1.0F};
    PluginTensorDesc const channel{dims_of(1, x + 1), DataType::kFLOAT, TensorFormat::kLINEAR, -1.0F};
    std::vector<PluginTensorDesc> out{tensor, channel, channel};
    if (nb_inputs == 4) out.push_back(tensor);
    out.push_back(tensor);
    return out;
}

std::vector<DynamicPluginTensorDesc> dynamic(std::vector<PluginTensorDesc> const& fixed) {
    std::vector<DynamicPluginTensorDesc> out;
    for (PluginTensorDesc const& d : fixed) out.push_back(DynamicPluginTensorDesc{d, d.dims, d.dims, d.dims});
    return out;
}

DataType data_type(int half) { return half ? DataType::kHALF : DataType::kFLOAT; }

}  // namespace

extern "C" {

// setLoggerFinder, then getCreators; writes "creator kind|name|version|namespace|field:type,..." and returns
// how many creators the library has.
int drv_load(char* out, int cap) {
    setLoggerFinder(&finder);
    int32_t n = 0;
    IPluginCreatorInterface* const* creators = getCreators(n);
    if (creators == nullptr || n < 1) return n;
    creator = static_cast<IPluginCreatorV3One*>(creators[0]);
    std::string text = std::string(creator->getInterfaceInfo().kind) + "|" + creator->getPluginName() + "|" +
                       creator->getPluginVersion() + "|" + creator->getPluginNamespace() + "|";
    PluginFieldCollection const* fields = creator->getFieldNames();
    for (int32_t i = 0; i < fields->nbFields; ++i)
        text += std::string(i ? "," : "") + fields->fields[i].name + ":" +
                std::to_string(static_cast<int>(fields->fields[i].type));
    copy_out(text, out, cap);
    return n;
}

// createPlugin with an epsilon and a relu field of the given PluginFieldType values (-1 leaves a field out).
void* drv_create(int phase, double epsilon, int epsilon_type, int64_t relu, int relu_type) {
    struct Number {  // one value in each type a field may carry
        float f32;
        double f64;
        int32_t i32;
        int64_t i64;
        void const* as(PluginFieldType t) const {
            return t == PluginFieldType::kFLOAT32 ? static_cast<void const*>(&f32)
                   : t == PluginFieldType::kFLOAT64 ? static_cast<void const*>(&f64)
                   : t == PluginFieldType::kINT32   ? static_cast<void const*>(&i32)
                                                    : static_cast<void const*>(&i64);
        }
    };
    Number const e{static_cast<float>(epsilon), epsilon, static_cast<int32_t>(epsilon), static_cast<int64_t>(epsilon)};
    Number const r{static_cast<float>(relu), static_cast<double>(relu), static_cast<int32_t>(relu), relu};
    std::vector<PluginField> fields;
    if (epsilon_type >= 0) {
        auto const t = static_cast<PluginFieldType>(epsilon_type);
        fields.emplace_back("epsilon", e.as(t), t, 1);
    }
    if (relu_type >= 0) {
        auto const t = static_cast<PluginFieldType>(relu_type);
        fields.emplace_back("relu", r.as(t), t, 1);
    }
    PluginFieldCollection const fc{static_cast<int32_t>(fields.size()), fields.data()};
    return creator->createPlugin("instnorm", &fc, static_cast<TensorRTPhase>(phase));
}

void drv_destroy(void* plugin) { delete as_plugin(plugin); }

// clone() (attach == 0) or attachToContext (attach != 0), as the builder and each execution context do.
void* drv_clone(void* plugin, int attach) {
    return attach ? runtime(plugin)->attachToContext(nullptr) : as_plugin(plugin)->clone();
}

// What an engine file keeps: the fields' bytes, copied; then the plugin TensorRT recreates from them.
void* drv_deserialize(void* plugin) {
    PluginFieldCollection const* fc = runtime(plugin)->getFieldsToSerialize();
    std::vector<std::string> names, bytes;
    for (int32_t i = 0; i < fc->nbFields; ++i) {
        PluginField const& f = fc->fields[i];
        size_t const size = f.type == PluginFieldType::kFLOAT64 || f.type == PluginFieldType::kINT64 ? 8 : 4;
        names.emplace_back(f.name);
        bytes.emplace_back(static_cast<char const*>(f.data), size * static_cast<size_t>(f.length));
    }
    std::vector<PluginField> fields;
    for (int32_t i = 0; i < fc->nbFields; ++i)
        fields.emplace_back(names[i].c_str(), bytes[i].data(), fc->fields[i].type, fc->fields[i].length);
    PluginFieldCollection const copy{static_cast<int32_t>(fields.size()), fields.data()};
    return creator->createPlugin("instnorm", &copy, TensorRTPhase::kRUNTIME);
}

// The fields getFieldsToSerialize hands out: "name:type:length" per field, the epsilon and relu values, and
// where their data lie (to check they belong to this plugin object).
int drv_fields(void* plugin, char* out, int cap, float* epsilon, int32_t* relu, void const** where) {
    PluginFieldCollection const* fc = runtime(plugin)->getFieldsToSerialize();
    std::string text;
    for (int32_t i = 0; i < fc->nbFields; ++i) {
        PluginField const& f = fc->fields[i];
        text += std::string(i ? "," : "") + f.name + ":" + std::to_string(static_cast<int>(f.type)) + ":" +
                std::to_string(f.length);
        if (std::strcmp(f.name, "epsilon") == 0) *epsilon = *static_cast<float const*>(f.data), where[0] = f.data;
        if (std::strcmp(f.name, "relu") == 0) *relu = *static_cast<int32_t const*>(f.data), where[1] = f.data;
    }
    return copy_out(text, out, cap);
}

// "core kind|build kind|runtime kind|name|version|namespace|outputs" from the plugin's capability interfaces.
int drv_describe(void* plugin, char* out, int cap) {
    auto* core = capability<IPluginV3OneCore>(plugin, PluginCapabilityType::kCORE);
    std::string const text = std::string(core->getInterfaceInfo().kind) + "|" + build(plugin)->getInterfaceInfo().kind +
                             "|" + runtime(plugin)->getInterfaceInfo().kind + "|" + core->getPluginName() + "|" +
                             core->getPluginVersion() + "|" + core->getPluginNamespace() + "|" +
                             std::to_string(build(plugin)->getNbOutputs());
    return copy_out(text, out, cap);
}

// supportsFormatCombination at `pos` with each tensor's DataType and TensorFormat given (inputs, then output).
int drv_supports(void* plugin, int pos, int nb_inputs, int const* types, int const* formats) {
    std::vector<DynamicPluginTensorDesc> io(static_cast<size_t>(nb_inputs) + 1);
    for (size_t i = 0; i < io.size(); ++i) {
        io[i].desc.type = static_cast<DataType>(types[i]);
        io[i].desc.format = static_cast<TensorFormat>(formats[i]);
    }
    return build(plugin)->supportsFormatCombination(pos, io.data(), nb_inputs, 1) ? 1 : 0;
}

// getOutputDataTypes for x of `input_type` (gamma, beta float32); the status, and the type in *output_type.
int drv_output_type(void* plugin, int input_type, int nb_inputs, int* output_type) {
    std::vector<DataType> in(static_cast<size_t>(nb_inputs), DataType::kFLOAT);
    in[0] = static_cast<DataType>(input_type);
    if (nb_inputs == 4) in[3] = in[0];
    DataType outType = DataType::kBOOL;
    int const status = build(plugin)->getOutputDataTypes(&outType, 1, in.data(), nb_inputs);
    *output_type = static_cast<int>(outType);
    return status;
}

// 1 when getOutputShapes gives the output x's own dimension expressions.
int drv_output_shape_is_input(void* plugin, int nb_inputs) {
    static Builder builder;
    std::vector<DimsExprs> in(static_cast<size_t>(nb_inputs));
    std::vector<char> marks(4);  // any distinct addresses: the plugin must not look inside
    in[0].nbDims = 4;
    for (int i = 0; i < 4; ++i) in[0].d[i] = reinterpret_cast<IDimensionExpr const*>(&marks[static_cast<size_t>(i)]);
    DimsExprs outExprs{};
    if (build(plugin)->getOutputShapes(in.data(), nb_inputs, nullptr, 0, &outExprs, 1, builder) != 0) return 0;
    if (outExprs.nbDims != 4) return 0;
    for (int i = 0; i < 4; ++i)
        if (outExprs.d[i] != in[0].d[i]) return 0;
    return 1;
}

// configurePlugin with nb_inputs inputs, x of nb_dims dimensions (all 2) and `outputs` outputs.
int drv_configure(void* plugin, int nb_inputs, int nb_dims, int outputs) {
    int64_t const x[4] = {2, 2, 2, 2};
    std::vector<DynamicPluginTensorDesc> io = dynamic(descs(nb_inputs, x, DataType::kFLOAT));
    io[0].desc.dims.nbDims = nb_dims;
    return build(plugin)->configurePlugin(io.data(), nb_inputs, io.data() + nb_inputs, outputs);
}

// getWorkspaceSize for a profile whose largest x is max_dims.
size_t drv_workspace(void* plugin, int nb_inputs, int64_t const* max_dims, int half) {
    std::vector<DynamicPluginTensorDesc> io = dynamic(descs(nb_inputs, max_dims, data_type(half)));
    return build(plugin)->getWorkspaceSize(io.data(), nb_inputs, io.data() + nb_inputs, 1);
}

int drv_shape_change(void* plugin, int nb_inputs, int64_t const* dims, int half) {
    std::vector<PluginTensorDesc> io = descs(nb_inputs, dims, data_type(half));
    return runtime(plugin)->onShapeChange(io.data(), nb_inputs, io.data() + nb_inputs, 1);
}

// enqueue over host memory (pointers as the emulated kernels take them); residual may be null.
int drv_enqueue(void* plugin, int nb_inputs, int64_t const* dims, int half, void const* x, float const* gamma,
                float const* beta, void const* residual, void* y, void* workspace) {
    std::vector<PluginTensorDesc> io = descs(nb_inputs, dims, data_type(half));
    void const* inputs[4] = {x, gamma, beta, residual};
    void* outputs[1] = {y};
    return runtime(plugin)->enqueue(io.data(), io.data() + nb_inputs, inputs, outputs, workspace, nullptr);
}

// What the plugin logged since the last call ("severity:message" lines), then forgotten.
int drv_log(char* out, int cap) {
    int const size = copy_out(finder.recorder.text, out, cap);
    finder.recorder.text.clear();
    return size;
}
}
