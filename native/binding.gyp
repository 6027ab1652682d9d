{
  "targets": [
    {
      "target_name": "netconform_native",
      "sources": ["src/module.cc", "src/js_args.cc", "src/udp_socket.cc", "src/udp_send.cc",
                  "src/udp_receive.cc", "src/interfaces.cc", "src/keepalive.cc"],
      "include_dirs": ["<!(node -p \"require('node-addon-api').include_dir\")"],
      "dependencies": ["<!(node -p \"require('node-addon-api').targets\"):node_addon_api_except"],
      "defines": ["NAPI_VERSION=8"],
      "conditions": [
        ["OS!='win'", {"sources": ["src/socket_unix.cc", "src/recv_thread.cc"]}],
        ["OS=='linux'", {
          "sources": ["src/socket_linux.cc", "src/lnp_linux.cc"],
          "cflags": ["-Wall", "-Wextra", "-Werror"],
          "cflags_cc": ["-std=c++17", "-Wall", "-Wextra", "-Werror"]
        }],
        ["OS=='mac'", {
          "sources": ["src/socket_darwin.cc", "src/nwgroup_darwin.cc"],
          "link_settings": {"libraries": ["-framework Network"]},
          "defines": ["__APPLE_USE_RFC_3542=1"],
          "xcode_settings": {
            "CLANG_CXX_LANGUAGE_STANDARD": "c++17",
            "GCC_ENABLE_CPP_EXCEPTIONS": "YES",
            "GCC_TREAT_WARNINGS_AS_ERRORS": "YES",
            "WARNING_CFLAGS": ["-Wall", "-Wextra"]
          }
        }]
      ],
      "target_conditions": [
        ["OS=='mac'", {
          "xcode_settings": {
            "MACOSX_DEPLOYMENT_TARGET": "11.0"
          }
        }]
      ]
    }
  ]
}
