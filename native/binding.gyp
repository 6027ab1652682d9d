{
  # Warnings are errors only where the compiler is ours (this repo's CI: the Linux build in .ci/run
  # and `npm run check:macos`), never in a user's `npm install`, whose Xcode or gcc may warn about
  # something new: set by `NETCONFORM_WERROR=1` (native/build.mjs passes --netconform-werror=1,
  # which node-gyp turns into this variable) or `-Dnetconform_werror=1`.
  "variables": {"netconform_werror%": 0},
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
          "cflags": ["-Wall", "-Wextra"],
          "cflags_cc": ["-std=c++17", "-Wall", "-Wextra"]
        }],
        ["OS=='linux' and netconform_werror==1", {"cflags": ["-Werror"], "cflags_cc": ["-Werror"]}],
        ["OS=='mac'", {
          "sources": ["src/socket_darwin.cc", "src/nwgroup_darwin.cc"],
          "link_settings": {"libraries": ["-framework Network"]},
          "defines": ["__APPLE_USE_RFC_3542=1"],
          "xcode_settings": {
            "CLANG_CXX_LANGUAGE_STANDARD": "c++17",
            "GCC_ENABLE_CPP_EXCEPTIONS": "YES",
            "WARNING_CFLAGS": ["-Wall", "-Wextra"]
          }
        }],
        ["OS=='mac' and netconform_werror==1", {"xcode_settings": {"GCC_TREAT_WARNINGS_AS_ERRORS": "YES"}}]
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
