// TensorRT IPluginV3 "StylertInstanceNorm" (namespace "stylert", version "1"): the fused
// InstanceNorm + affine + [residual add] + [ReLU] kernels of stylert/kernels/src/instnorm.cu.
//
// Inputs: 0 x [N,C,H,W] (float32 or float16), 1 gamma [C] float32, 2 beta [C] float32,
// optional 3 residual (same shape and type as x). Output: same shape and type as x.
// Fields (serialised into the engine, restored by the creator): epsilon (float32), relu (int32).
// The ONNX pass stylert/export/plugin_pass.py emits this op; TensorRT's ONNX parser finds the creator by
// op type, version and namespace. Workspace: the kernels' per-chunk partial statistics.
//
// Every entry point TensorRT calls is noexcept: exceptions (allocation) are caught here and reported
// through TensorRT's own logger (kept from setLoggerFinder), never thrown across the C boundary.
// Without TensorRT, CMake builds this file against kernels/plugin/standin and the emulated kernels, and
// tests/kernels/test_trt_plugin_host.py drives it the way TensorRT would (kernels/plugin/standin/plugin_driver.cpp).
#include <NvInfer.h>
#include <NvInferRuntime.h>

#include <cstring>
#include <exception>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "stylert/instnorm_math.h"
#include "stylert/kernels.h"

using namespace nvinfer1;

namespace {

constexpr char const* kName = "StylertInstanceNorm";
constexpr char const* kVersion = "1";
constexpr char const* kNamespace = "stylert";

ILoggerFinder* gLoggerFinder = nullptr;  // TensorRT's, from setLoggerFinder

void report(ILogger::Severity severity, std::string const& message) noexcept {
    try {
        ILogger* logger = gLoggerFinder != nullptr ? gLoggerFinder->findLogger() : nullptr;
        if (logger != nullptr) logger->log(severity, (std::string(kName) + ": " + message).c_str());
    } catch (...) {  // nothing left to report with
    }
}

// A scalar field as the ONNX parser (attributes) or TensorRT (serialised fields) hands it over; nothing
// for an array (length > 1) or a type a number cannot have.
std::optional<float> read_number(PluginField const& f) {
    if (f.length > 1) return std::nullopt;
    switch (f.type) {
        case PluginFieldType::kFLOAT32: return *static_cast<float const*>(f.data);
        case PluginFieldType::kFLOAT64: return static_cast<float>(*static_cast<double const*>(f.data));
        case PluginFieldType::kINT32: return static_cast<float>(*static_cast<int32_t const*>(f.data));
        case PluginFieldType::kINT64: return static_cast<float>(*static_cast<int64_t const*>(f.data));
        default: return std::nullopt;
    }
}

class InstanceNormPlugin final : public IPluginV3, public IPluginV3OneCore, public IPluginV3OneBuild,
                                 public IPluginV3OneRuntime {
public:
    InstanceNormPlugin(float epsilon, int32_t relu)
        : mEpsilon(epsilon), mRelu(relu), mBlockSlots(stylert_device_block_slots()) {
        mFields = {PluginField("epsilon", &mEpsilon, PluginFieldType::kFLOAT32, 1),
                   PluginField("relu", &mRelu, PluginFieldType::kINT32, 1)};
        mFieldCollection.nbFields = static_cast<int32_t>(mFields.size());
        mFieldCollection.fields = mFields.data();
    }
    // mFields point at this object's own members: a copy would serialise another object's fields.
    InstanceNormPlugin(InstanceNormPlugin const&) = delete;
    InstanceNormPlugin& operator=(InstanceNormPlugin const&) = delete;

    // IPluginV3
    IPluginCapability* getCapabilityInterface(PluginCapabilityType type) noexcept override {
        switch (type) {
            case PluginCapabilityType::kCORE: return static_cast<IPluginV3OneCore*>(this);
            case PluginCapabilityType::kBUILD: return static_cast<IPluginV3OneBuild*>(this);
            case PluginCapabilityType::kRUNTIME: return static_cast<IPluginV3OneRuntime*>(this);
        }
        return nullptr;
    }
    IPluginV3* clone() noexcept override {
        try {
            auto copy = std::make_unique<InstanceNormPlugin>(mEpsilon, mRelu);
            copy->mNbInputs = mNbInputs;
            return copy.release();
        } catch (std::exception const& e) {
            report(ILogger::Severity::kERROR, std::string("clone failed: ") + e.what());
        } catch (...) {
            report(ILogger::Severity::kERROR, "clone failed");
        }
        return nullptr;
    }

    // IPluginV3OneCore
    AsciiChar const* getPluginName() const noexcept override { return kName; }
    AsciiChar const* getPluginVersion() const noexcept override { return kVersion; }
    AsciiChar const* getPluginNamespace() const noexcept override { return kNamespace; }

    // IPluginV3OneBuild
    int32_t configurePlugin(DynamicPluginTensorDesc const* in, int32_t nbInputs, DynamicPluginTensorDesc const*,
                            int32_t nbOutputs) noexcept override {
        mNbInputs = nbInputs;
        if ((nbInputs == 3 || nbInputs == 4) && nbOutputs == 1 && in[0].desc.dims.nbDims == 4) return 0;
        report(ILogger::Severity::kERROR, "expects x, gamma, beta[, residual] with a 4-D x and one output");
        return 1;
    }
    int32_t getOutputDataTypes(DataType* outputTypes, int32_t nbOutputs, DataType const* inputTypes,
                               int32_t) const noexcept override {
        if (nbOutputs != 1) return 1;
        outputTypes[0] = inputTypes[0];
        return 0;
    }
    int32_t getOutputShapes(DimsExprs const* inputs, int32_t, DimsExprs const*, int32_t, DimsExprs* outputs,
                            int32_t nbOutputs, IExprBuilder&) noexcept override {
        if (nbOutputs != 1) return 1;
        outputs[0] = inputs[0];
        return 0;
    }
    bool supportsFormatCombination(int32_t pos, DynamicPluginTensorDesc const* inOut, int32_t,
                                   int32_t) noexcept override {
        PluginTensorDesc const& d = inOut[pos].desc;
        if (d.format != TensorFormat::kLINEAR) return false;
        if (pos == 1 || pos == 2) return d.type == DataType::kFLOAT;  // gamma, beta
        if (pos == 0) return d.type == DataType::kFLOAT || d.type == DataType::kHALF;
        return d.type == inOut[0].desc.type;  // residual and output follow x
    }
    int32_t getNbOutputs() const noexcept override { return 1; }
    // Enough for the profile's largest x and for every smaller one: the partials of one plan never outnumber
    // one per plane plus the grid the plan aims for.
    size_t getWorkspaceSize(DynamicPluginTensorDesc const* inputs, int32_t, DynamicPluginTensorDesc const*,
                            int32_t) const noexcept override {
        Dims const& d = inputs[0].max;
        int const half = inputs[0].desc.type == DataType::kHALF ? 1 : 0;
        size_t const largest = stylert_instnorm_workspace_size(static_cast<int>(d.d[0]), static_cast<int>(d.d[1]),
                                                               static_cast<int>(d.d[2] * d.d[3]), half, mBlockSlots);
        size_t const grid = static_cast<size_t>(mBlockSlots) * sizeof(stylert::Moments);
        return largest + grid + 256;
    }

    // IPluginV3OneRuntime
    int32_t onShapeChange(PluginTensorDesc const* in, int32_t nbInputs, PluginTensorDesc const*,
                          int32_t) noexcept override {
        mNbInputs = nbInputs;
        if ((nbInputs == 3 || nbInputs == 4) && in[0].dims.nbDims == 4) return 0;
        report(ILogger::Severity::kERROR, "input shapes changed to something it cannot run");
        return 1;
    }
    int32_t enqueue(PluginTensorDesc const* inputDesc, PluginTensorDesc const*, void const* const* inputs,
                    void* const* outputs, void* workspace, cudaStream_t stream) noexcept override {
        if (mNbInputs != 3 && mNbInputs != 4) {  // TensorRT calls onShapeChange before the first enqueue
            report(ILogger::Severity::kERROR, "enqueue before onShapeChange: the number of inputs is unknown");
            return 1;
        }
        Dims const& d = inputDesc[0].dims;
        int const n = static_cast<int>(d.d[0]), c = static_cast<int>(d.d[1]);
        int const hw = static_cast<int>(d.d[2] * d.d[3]);
        bool const half = inputDesc[0].type == DataType::kHALF;
        void const* residual = mNbInputs == 4 ? inputs[3] : nullptr;
        int const status = stylert_instnorm(inputs[0], residual, static_cast<float const*>(inputs[1]),
                                            static_cast<float const*>(inputs[2]), outputs[0], n, c, hw, mEpsilon,
                                            mRelu, half ? 1 : 0, workspace, mBlockSlots, stream);
        if (status != 0)
            report(ILogger::Severity::kERROR, std::string("kernel launch failed: ") + stylert_status_string(status));
        return status;
    }
    IPluginV3* attachToContext(IPluginResourceContext*) noexcept override { return clone(); }
    PluginFieldCollection const* getFieldsToSerialize() noexcept override { return &mFieldCollection; }

private:
    float mEpsilon;
    int32_t mRelu;
    int mBlockSlots;
    int32_t mNbInputs{0};  // 3 or 4 once configurePlugin or onShapeChange has seen the inputs
    std::vector<PluginField> mFields;
    PluginFieldCollection mFieldCollection{};
};

class InstanceNormCreator final : public IPluginCreatorV3One {
public:
    InstanceNormCreator() {
        mFields = {PluginField("epsilon", nullptr, PluginFieldType::kFLOAT32, 1),
                   PluginField("relu", nullptr, PluginFieldType::kINT32, 1)};
        mFieldCollection.nbFields = static_cast<int32_t>(mFields.size());
        mFieldCollection.fields = mFields.data();
    }
    InstanceNormCreator(InstanceNormCreator const&) = delete;
    InstanceNormCreator& operator=(InstanceNormCreator const&) = delete;

    AsciiChar const* getPluginName() const noexcept override { return kName; }
    AsciiChar const* getPluginVersion() const noexcept override { return kVersion; }
    AsciiChar const* getPluginNamespace() const noexcept override { return kNamespace; }
    PluginFieldCollection const* getFieldNames() noexcept override { return &mFieldCollection; }

    // Called with the ONNX node's attributes when building and with the serialised fields when an engine is
    // deserialised: both carry epsilon and relu (missing ones keep their defaults; other names are ignored).
    IPluginV3* createPlugin(AsciiChar const*, PluginFieldCollection const* fc, TensorRTPhase) noexcept override {
        try {
            float epsilon = 1e-5F;
            int32_t relu = 0;
            for (int32_t i = 0; fc != nullptr && i < fc->nbFields; ++i) {
                PluginField const& f = fc->fields[i];
                if (f.data == nullptr || f.name == nullptr) continue;
                bool const is_epsilon = std::strcmp(f.name, "epsilon") == 0;
                if (!is_epsilon && std::strcmp(f.name, "relu") != 0) continue;
                std::optional<float> const value = read_number(f);
                if (!value || (is_epsilon && !(*value > 0.0F))) {
                    report(ILogger::Severity::kERROR, std::string("field ") + f.name + " is not a " +
                                                          (is_epsilon ? "positive number" : "number"));
                    return nullptr;
                }
                if (is_epsilon)
                    epsilon = *value;
                else
                    relu = *value != 0.0F ? 1 : 0;
            }
            return new InstanceNormPlugin(epsilon, relu);
        } catch (std::exception const& e) {
            report(ILogger::Severity::kERROR, std::string("createPlugin failed: ") + e.what());
        } catch (...) {
            report(ILogger::Severity::kERROR, "createPlugin failed");
        }
        return nullptr;
    }

private:
    std::vector<PluginField> mFields;
    PluginFieldCollection mFieldCollection{};
};

}  // namespace

// Entry points for IPluginRegistry::loadLibrary / trtexec --dynamicPlugins.
extern "C" void setLoggerFinder(ILoggerFinder* finder) { gLoggerFinder = finder; }

extern "C" IPluginCreatorInterface* const* getCreators(int32_t& nbCreators) {
    nbCreators = 0;
    try {
        static InstanceNormCreator creator;
        static IPluginCreatorInterface* const creators[] = {&creator};
        nbCreators = 1;
        return creators;
    } catch (...) {
        report(ILogger::Severity::kERROR, "could not create the plugin creator");
        return nullptr;
    }
}
