// A pvxs client for recording golden bytes and for the listing benchmark.
//
//   pvxs_list discover SECONDS        print host:port of each server that answers a ping
//   pvxs_list channels HOST:PORT...   print the PV names of each server (op=channels)
//   pvxs_list info HOST:PORT...       print each server's implLang and version (op=info)
//   pvxs_list get PV                  print a PV's value (a plain search over UDP)
//   pvxs_list serve-be PV...          serve read-only doubles, sending big-endian, until
//                                     stdin closes (prints "@@ready host:port")
//
// Written on the public pvxs API only (built against the pvxslibs wheel, which
// ships no tools of its own); settings come from the EPICS_PVA_* environment.
// overrideSendBE() is behind this switch ("for protocol compatibility testing").
#define PVXS_ENABLE_EXPERT_API

#include <iostream>
#include <set>
#include <string>
#include <vector>

#include <epicsEvent.h>
#include <pvxs/client.h>
#include <pvxs/nt.h>
#include <pvxs/server.h>
#include <pvxs/sharedpv.h>

using namespace pvxs;

int main(int argc, char* argv[])
{
    if (argc < 3) {
        std::cerr << "usage: pvxs_list discover SECONDS | channels|info HOST:PORT... | get PV\n";
        return 2;
    }
    const std::string mode(argv[1]);
    try {
        if (mode == "serve-be") {
            auto serv(server::Config::fromEnv().overrideSendBE(true).build());
            std::vector<server::SharedPV> pvs;
            for (int i = 2; i < argc; i++) {
                pvs.push_back(server::SharedPV::buildReadonly());
                auto initial(nt::NTScalar{TypeCode::Float64}.create());
                initial["value"] = 1.5;
                pvs.back().open(initial);
                serv.addPV(argv[i], pvs.back());
            }
            serv.start();
            std::cout << "@@ready " << serv.config().tcp_port << std::endl;
            std::string line;
            while (std::getline(std::cin, line)) {
            }
            serv.stop();
            return 0;
        }
        auto ctxt(client::Context::fromEnv());
        if (mode == "discover") {
            std::set<std::string> seen;
            epicsEvent never;
            auto op = ctxt.discover([&seen](const client::Discovered& found) {
                              if (found.event == client::Discovered::Online && found.proto == "tcp"
                                  && seen.insert(found.server).second)
                                  std::cout << found.server << std::endl;
                          })
                          .pingAll(true)
                          .exec();
            never.wait(std::stod(argv[2]));
            return 0;
        }
        if (mode == "get") {
            std::cout << ctxt.get(argv[2]).exec()->wait(5.0) << std::endl;
            return 0;
        }
        int failed = 0;
        std::vector<std::shared_ptr<client::Operation>> ops;
        for (int i = 2; i < argc; i++) {
            ops.push_back(ctxt.rpc("server").server(argv[i]).arg("op", mode).exec());
        }
        for (int i = 2; i < argc; i++) {
            try {
                auto top(ops[i - 2]->wait(5.0));
                if (mode == "info") {
                    std::cout << argv[i] << " " << top["implLang"].as<std::string>() << " "
                              << top["version"].as<std::string>() << "\n";
                } else {
                    for (auto& name : top["value"].as<shared_array<const std::string>>())
                        std::cout << name << "\n";
                }
            } catch (std::exception& e) {
                std::cerr << argv[i] << ": " << e.what() << "\n";
                failed = 1;
            }
        }
        std::cout.flush();
        return failed;
    } catch (std::exception& e) {
        std::cerr << "error: " << e.what() << "\n";
        return 1;
    }
}
