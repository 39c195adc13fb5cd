/* Condvar wake-up latency: thread A signals, thread B (blocked in pthread_cond_wait) notes when it runs. */
#include <pthread.h>
#include <stdio.h>
#include <time.h>
#include <stdlib.h>
static pthread_mutex_t m = PTHREAD_MUTEX_INITIALIZER; static pthread_cond_t c = PTHREAD_COND_INITIALIZER;
static volatile long long sent; static int flag; static long long lat[2000]; static int n;
static long long now(){struct timespec t; clock_gettime(CLOCK_MONOTONIC,&t); return t.tv_sec*1000000000LL+t.tv_nsec;}
static void* waiter(void*a){ for(int i=0;i<2000;i++){ pthread_mutex_lock(&m); while(!flag) pthread_cond_wait(&c,&m); lat[n++]=now()-sent; flag=0; pthread_mutex_unlock(&m);} return 0;}
static int cmp(const void*a,const void*b){long long x=*(long long*)a,y=*(long long*)b; return x<y?-1:x>y;}
int main(){ pthread_t t; pthread_create(&t,0,waiter,0);
 for(int i=0;i<2000;i++){ struct timespec d={0,200000}; nanosleep(&d,0); pthread_mutex_lock(&m); while(flag){pthread_mutex_unlock(&m); nanosleep(&d,0); pthread_mutex_lock(&m);} sent=now(); flag=1; pthread_cond_signal(&c); pthread_mutex_unlock(&m);
   /* busy the signalling thread like a GIL holder would keep running */ long long e=now()+100000; while(now()<e); }
 pthread_join(t,0); qsort(lat,2000,sizeof lat[0],cmp); printf("wake latency ns p50 %lld p90 %lld p99 %lld\n",lat[1000],lat[1800],lat[1980]);
 /* timed wait overshoot */
 long long ov[200]; for(int i=0;i<200;i++){ struct timespec ts; clock_gettime(CLOCK_REALTIME,&ts); long long t0=now(); ts.tv_nsec+=1000000; if(ts.tv_nsec>=1000000000){ts.tv_sec++;ts.tv_nsec-=1000000000;}
   pthread_mutex_lock(&m); pthread_cond_timedwait(&c,&m,&ts); pthread_mutex_unlock(&m); ov[i]=now()-t0-1000000; }
 qsort(ov,200,sizeof ov[0],cmp); printf("timedwait(1ms) overshoot ns p50 %lld p90 %lld\n",ov[100],ov[180]); return 0;}
