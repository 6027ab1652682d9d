// MODEL, NOT macOS: a serial dispatch queue is one thread with a FIFO of copied blocks; see
// include/dispatch/dispatch.h for the semantics modelled and where they are documented.
#include <Block.h>
#include <dispatch/dispatch.h>
#include <stdlib.h>
#include <string.h>

#include <atomic>
#include <condition_variable>
#include <deque>
#include <mutex>
#include <string>
#include <thread>

namespace {
struct Object {
  std::atomic<int> refs{1};
  virtual ~Object() = default;
};

std::mutex g_live_mu;
std::condition_variable g_live_cv;
int g_live_queues = 0;
}  // namespace

struct nc_dispatch_queue : Object {
  std::string label;
  std::mutex mu;
  std::condition_variable cv;
  std::deque<dispatch_block_t> work;
  bool stopping = false;
  std::thread thread;
};

struct nc_dispatch_data : Object {
  void* bytes = nullptr;
  size_t size = 0;
  ~nc_dispatch_data() override { free(bytes); }
};

static void QueueLoop(nc_dispatch_queue* q) {
  for (;;) {
    dispatch_block_t b;
    {
      std::unique_lock<std::mutex> lock(q->mu);
      q->cv.wait(lock, [q] { return !q->work.empty() || q->stopping; });
      if (q->work.empty()) break;
      b = q->work.front();
      q->work.pop_front();
    }
    b();
    Block_release(b);
    nc_dispatch_release(q);  // the reference dispatch_async took
  }
  {
    std::lock_guard<std::mutex> lock(g_live_mu);
    g_live_queues--;
  }
  g_live_cv.notify_all();
  delete q;
}

extern "C" {

dispatch_queue_t dispatch_queue_create(const char* label, dispatch_queue_attr_t) {
  auto* q = new nc_dispatch_queue();
  q->label = label != nullptr ? label : "";
  {
    std::lock_guard<std::mutex> lock(g_live_mu);
    g_live_queues++;
  }
  q->thread = std::thread(QueueLoop, q);
  q->thread.detach();  // it deletes the queue when the last reference is gone and the work is done
  return q;
}

void dispatch_async(dispatch_queue_t q, dispatch_block_t block) {
  nc_dispatch_retain(q);
  dispatch_block_t copy = Block_copy(block);
  {
    std::lock_guard<std::mutex> lock(q->mu);
    q->work.push_back(copy);
  }
  q->cv.notify_one();
}

dispatch_data_t dispatch_data_create(const void* buffer, size_t size, dispatch_queue_t, dispatch_block_t destructor) {
  auto* d = new nc_dispatch_data();
  // DISPATCH_DATA_DESTRUCTOR_DEFAULT: the bytes are copied now; the model supports only that.
  if (destructor != DISPATCH_DATA_DESTRUCTOR_DEFAULT) abort();
  d->bytes = malloc(size > 0 ? size : 1);
  if (size > 0) memcpy(d->bytes, buffer, size);
  d->size = size;
  return d;
}

size_t dispatch_data_get_size(dispatch_data_t d) { return d->size; }

bool dispatch_data_apply(dispatch_data_t d, dispatch_data_applier_t applier) {
  return applier(d, 0, d->bytes, d->size);  // one contiguous region
}

void nc_dispatch_retain(void* o) { static_cast<Object*>(o)->refs++; }

void nc_dispatch_release(void* o) {
  auto* obj = static_cast<Object*>(o);
  if (--obj->refs > 0) return;
  if (auto* q = dynamic_cast<nc_dispatch_queue*>(obj)) {
    {
      std::lock_guard<std::mutex> lock(q->mu);
      q->stopping = true;
    }
    q->cv.notify_one();  // the queue's thread finishes and deletes it
    return;
  }
  delete obj;
}

void nc_dispatch_model_drain(void) {
  std::unique_lock<std::mutex> lock(g_live_mu);
  g_live_cv.wait(lock, [] { return g_live_queues == 0; });
}

}  // extern "C"
