// yoloxrt convert: a checkpoint in the other family's layout.
#include <cstdio>
#include <memory>

#include "cli/commands.h"
#include "yoloxrt/export.h"

namespace yoloxrt::cli {

void register_convert(CLI::App& app, int& /*exit_code*/) {
  struct Args {
    std::string in, out, to;
  };
  auto a = std::make_shared<Args>();
  CLI::App* c = app.add_subcommand(
      "convert", "Rewrite a checkpoint in the cjm or Megvii layout (key names, Focus order)");
  c->add_option("CHECKPOINT", a->in, "input .pth/.safetensors or checkpoint folder")->required();
  c->add_option("--to", a->to, "target family: cjm | megvii")->required();
  c->add_option("-o,--output", a->out, "output .pth (torch.save zip format)")->required();
  c->callback([a] {
    convert_checkpoint(a->in, a->out, parse_family(a->to));
    std::printf("wrote %s (%s layout)\n", a->out.c_str(), a->to.c_str());
  });
}

}  // namespace yoloxrt::cli
